/**
 * Where a Databricks host's OAuth token endpoint is, found the way the Databricks SDKs find it — and
 * no stricter, so that every workspace answering them answers us:
 *
 *  1. `DATABRICKS_DISCOVERY_URL`, when set, is fetched as is.
 *  2. Otherwise the host metadata `{host}/.well-known/databricks-config` is asked; its `oidc_endpoint`
 *     (with `{account_id}` replaced) + `/.well-known/oauth-authorization-server` is the discovery URL.
 *     Best effort: any failure is a warning and step 3 is used.
 *  3. Otherwise, by the host's form: an account console (`https://accounts.…`, `https://accounts-dod.…`)
 *     at `{host}/oidc/accounts/{account_id}/.well-known/oauth-authorization-server`, any other host
 *     at `{host}/oidc/.well-known/oauth-authorization-server`.
 *
 * Of the document only `token_endpoint` is required. `issuer` may be missing or in any form: the SDKs
 * never read it (their OidcEndpoints / OAuthAuthorizationServer types hold only authorization_endpoint
 * and token_endpoint), and databricks/cli's fake workspace serves no issuer at all.
 *
 * Sources: databricks-sdk-go config/config.go (getOidcEndpoints, resolveHostMetadata, HostType),
 * config/host_metadata.go (getHostMetadata), credentials/u2m/endpoint_supplier.go (GetEndpointsFromURL,
 * GetWorkspaceOAuthEndpoints, GetAccountOAuthEndpoints, GetUnifiedOAuthEndpoints); databricks-sdk-py
 * databricks/sdk/config.py (discovery_url, _resolve_host_metadata, host_type), databricks/sdk/oauth.py
 * (OidcEndpoints, get_host_metadata, get_endpoints_from_url, get_account_endpoints,
 * get_workspace_endpoints); databricks/cli libs/testserver/fake_oidc.go.
 */
import type * as oidc from 'openid-client';
import { AuthError } from './errors.js';
import { fetchJsonObject, JsonFetchError } from './fetch-json.js';
import { displayUrl, isSecureOrLoopback } from './loopback.js';
import type { AuthType } from './types.js';

/** Which Databricks OAuth server to use: what the settings say about it. */
export interface DatabricksOAuthTarget {
  /** The workspace (or account console) origin, e.g. https://adb-123.4.azuredatabricks.net. */
  host: string;
  /** DATABRICKS_ACCOUNT_ID: needed on an account console, and for host metadata naming `{account_id}`. */
  accountId?: string;
  /** DATABRICKS_DISCOVERY_URL: the authorization-server metadata URL, overriding everything else. */
  discoveryUrl?: string;
}

export interface DiscoveredOAuthServer {
  /** The URL the metadata came from, for messages. */
  discoveryUrl: URL;
  tokenEndpoint: URL;
  /**
   * What openid-client is given: the token endpoint, and an issuer (openid-client needs a string
   * there). Nothing else from the document, as the SDKs read nothing else.
   */
  metadata: oidc.ServerMetadata;
}

export interface DiscoveryOptions {
  /** Told when host metadata could not be used and the default discovery URL is tried instead. */
  warn?(message: string): void;
  timeoutMs?: number;
}

const WELL_KNOWN = '/.well-known/oauth-authorization-server';
const HOST_METADATA_PATH = '/.well-known/databricks-config';
const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * An account console, by the SDKs' host-name rule (databricks-sdk-py Config.host_type /
 * is_account_client, databricks-sdk-go Config.HostType: the `https://accounts.` and
 * `https://accounts-dod.` prefixes).
 */
export function isAccountConsoleHost(host: string): boolean {
  return /^https:\/\/accounts(-dod)?\./i.test(host);
}

/** A discovery URL and where it came from ("DATABRICKS_DISCOVERY_URL", "the workspace default", …). */
export interface DiscoveryCandidate {
  url: URL;
  source: string;
  /** What the person can check when this URL does not work. */
  hint: string;
}

/** Step 3: the discovery URL implied by the host's form alone. */
export function defaultDiscovery(target: DatabricksOAuthTarget): DiscoveryCandidate | { problem: string } {
  if (isAccountConsoleHost(target.host)) {
    if (!target.accountId) {
      return {
        problem:
          `${target.host} is an account console: set DATABRICKS_ACCOUNT_ID (its OAuth server is ` +
          `${target.host}/oidc/accounts/{account_id}), or DATABRICKS_DISCOVERY_URL`,
      };
    }
    return {
      url: new URL(`/oidc/accounts/${encodeURIComponent(target.accountId)}${WELL_KNOWN}`, target.host),
      source: `the account console default for DATABRICKS_ACCOUNT_ID=${target.accountId}`,
      hint: 'check DATABRICKS_HOST and DATABRICKS_ACCOUNT_ID, or set DATABRICKS_DISCOVERY_URL',
    };
  }
  return {
    url: new URL(`/oidc${WELL_KNOWN}`, target.host),
    source: 'the workspace default',
    hint: 'check DATABRICKS_HOST (the workspace URL), or set DATABRICKS_DISCOVERY_URL',
  };
}

/**
 * Step 2: the discovery URL the host metadata names, or why it names none. Like both SDKs, the
 * configured account id wins over the metadata's; `{account_id}` with no account id at all skips
 * the metadata (databricks-sdk-go; databricks-sdk-py raises instead).
 */
async function fromHostMetadata(
  target: DatabricksOAuthTarget,
  timeoutMs: number,
): Promise<DiscoveryCandidate | { unusable: string }> {
  const metadataUrl = new URL(HOST_METADATA_PATH, target.host);
  let metadata: Record<string, unknown>;
  try {
    metadata = await fetchJsonObject(metadataUrl, timeoutMs);
  } catch (err) {
    return { unusable: `${displayUrl(metadataUrl)}: ${(err as Error).message}` };
  }
  const endpoint = metadata.oidc_endpoint;
  if (typeof endpoint !== 'string' || !endpoint) {
    return { unusable: `${displayUrl(metadataUrl)} names no oidc_endpoint` };
  }
  const accountId =
    target.accountId ?? (typeof metadata.account_id === 'string' ? metadata.account_id : undefined);
  if (endpoint.includes('{account_id}') && !accountId) {
    return {
      unusable: `${displayUrl(metadataUrl)} names an oidc_endpoint with {account_id}, and DATABRICKS_ACCOUNT_ID is not set`,
    };
  }
  const root = endpoint.replaceAll('{account_id}', accountId ?? '').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${root}${WELL_KNOWN}`);
  } catch {
    return { unusable: `${displayUrl(metadataUrl)} names an oidc_endpoint that is not an absolute URL` };
  }
  if (!isSecureOrLoopback(url)) {
    return {
      unusable: `${displayUrl(metadataUrl)} names a plain-http oidc_endpoint on a host other than loopback`,
    };
  }
  return {
    url,
    source: `named by the host metadata at ${displayUrl(metadataUrl)}`,
    hint: 'set DATABRICKS_DISCOVERY_URL to use another',
  };
}

export async function discoverDatabricksOAuth(
  target: DatabricksOAuthTarget,
  authType: AuthType,
  options: DiscoveryOptions = {},
): Promise<DiscoveredOAuthServer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let candidate: DiscoveryCandidate;
  /** Why the host metadata was not used, added to a failure's message: it may be the real cause. */
  let metadataNote = '';
  if (target.discoveryUrl) {
    candidate = {
      url: new URL(target.discoveryUrl),
      source: 'DATABRICKS_DISCOVERY_URL',
      hint: 'check DATABRICKS_DISCOVERY_URL',
    };
  } else {
    const named = await fromHostMetadata(target, timeoutMs);
    if ('url' in named) {
      candidate = named;
    } else {
      const fallback = defaultDiscovery(target);
      if ('problem' in fallback) {
        throw new AuthError(
          `cannot discover the OAuth server of ${target.host}: ${fallback.problem}`,
          authType,
          'discovery_not_configured',
          false,
        );
      }
      candidate = fallback;
      metadataNote = `; host metadata was not usable either (${named.unusable})`;
      options.warn?.(
        `Databricks host metadata not usable (${named.unusable}); discovering OAuth at ${displayUrl(fallback.url)}`,
      );
    }
  }

  const where = `${displayUrl(candidate.url)} (${candidate.source})`;
  let document: Record<string, unknown>;
  try {
    document = await fetchJsonObject(candidate.url, timeoutMs);
  } catch (err) {
    if (!(err instanceof JsonFetchError)) throw err;
    throw new AuthError(
      `OAuth discovery failed: GET ${where}: ${err.reason}${metadataNote} — ${candidate.hint}`,
      authType,
      `discovery_${err.failure}`,
      err.retryable,
    );
  }
  const tokenEndpoint = readTokenEndpoint(document.token_endpoint);
  if (typeof tokenEndpoint === 'string') {
    throw new AuthError(
      `OAuth discovery failed: GET ${where}: ${tokenEndpoint} — ${candidate.hint}`,
      authType,
      'discovery_invalid',
      false,
    );
  }
  return {
    discoveryUrl: candidate.url,
    tokenEndpoint,
    metadata: { issuer: issuerOf(document.issuer, candidate.url), token_endpoint: tokenEndpoint.href },
  };
}

/** The token endpoint as a URL, or what is wrong with it. */
function readTokenEndpoint(value: unknown): URL | string {
  if (value === undefined || value === null || value === '') return 'the document has no token_endpoint';
  if (typeof value !== 'string') return `token_endpoint is a ${typeof value}, not a URL`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'token_endpoint is not an absolute URL';
  }
  if (!isSecureOrLoopback(url)) {
    return `token_endpoint ${displayUrl(url)} is plain http on a host other than loopback`;
  }
  return url;
}

/**
 * openid-client (oauth4webapi's assertAs) insists on a string `issuer`, though for these grants it
 * only ever checks it against an ID token's or a JWT client assertion's — neither of which client
 * credentials with client_secret_basic nor the RFC 8693 exchange involve. So any issuer the document
 * has is kept as is, and a missing one becomes the discovery URL without its well-known suffix (the
 * issuer RFC 8414 §3 would have derived the URL from).
 */
function issuerOf(value: unknown, discoveryUrl: URL): string {
  if (typeof value === 'string' && value) return value;
  const href = displayUrl(discoveryUrl);
  return href.endsWith(WELL_KNOWN) ? href.slice(0, -WELL_KNOWN.length) : discoveryUrl.origin;
}

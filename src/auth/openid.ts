/**
 * openid-client plumbing shared by the OAuth providers: a Configuration for a Databricks host built
 * from Databricks-style discovery, standard OIDC discovery for the company identity provider, plain
 * HTTP allowed only for loopback (the local emulator and test IdP; real workspaces and IdPs are
 * HTTPS), and token responses turned into AccessTokens.
 */
import * as oidc from 'openid-client';
import {
  discoverDatabricksOAuth,
  type DatabricksOAuthTarget,
  type DiscoveryOptions,
} from './databricks-discovery.js';
import { isLoopback } from './loopback.js';
import type { AccessToken, AuthType } from './types.js';

const HTTP_TIMEOUT_SECONDS = 15;

/**
 * Standard OIDC discovery, issuer checks included: for the company identity provider, a real OIDC
 * provider that issues the subject token.
 */
export async function discover(
  discoveryUrl: URL,
  clientId: string,
  clientAuthentication: oidc.ClientAuth,
): Promise<oidc.Configuration> {
  return oidc.discovery(discoveryUrl, clientId, undefined, clientAuthentication, {
    timeout: HTTP_TIMEOUT_SECONDS,
    execute: isLoopback(discoveryUrl) ? [oidc.allowInsecureRequests] : [],
  });
}

/**
 * openid-client's Configuration for a Databricks host's token endpoint. Not `oidc.discovery()`: that
 * refuses a document without `issuer`, which Databricks-compatible servers may omit and no Databricks
 * SDK reads (see databricks-discovery.ts). openid-client documents passing server metadata to the
 * constructor as skipping its issuer validation — which is the point here.
 */
export async function databricksConfiguration(
  target: DatabricksOAuthTarget,
  clientId: string,
  clientAuthentication: oidc.ClientAuth,
  authType: AuthType,
  options: DiscoveryOptions = {},
): Promise<oidc.Configuration> {
  const server = await discoverDatabricksOAuth(target, authType, {
    timeoutMs: HTTP_TIMEOUT_SECONDS * 1000,
    ...options,
  });
  const configuration = new oidc.Configuration(server.metadata, clientId, undefined, clientAuthentication);
  configuration.timeout = HTTP_TIMEOUT_SECONDS;
  // Discovery has already refused a plain-http token endpoint anywhere but on loopback.
  if (server.tokenEndpoint.protocol === 'http:') oidc.allowInsecureRequests(configuration);
  return configuration;
}

/** Assumed lifetime when a server omits expires_in: short, so we refresh early rather than late. */
const DEFAULT_EXPIRES_IN_SECONDS = 300;

export function toAccessToken(response: oidc.TokenEndpointResponse, obtainedAt: number): AccessToken {
  const expiresIn =
    typeof response.expires_in === 'number' ? response.expires_in : DEFAULT_EXPIRES_IN_SECONDS;
  return {
    value: response.access_token,
    obtainedAt,
    expiresAt: obtainedAt + expiresIn * 1000,
    scopes: typeof response.scope === 'string' ? response.scope.split(' ').filter(Boolean) : [],
  };
}

/** Memoises an async factory; a failure is not memoised, so the next call tries again. */
export function memoizeAsync<T>(factory: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= factory().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

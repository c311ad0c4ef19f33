import { readFile } from 'node:fs/promises';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { DatabricksOAuthTarget, DiscoveryOptions } from './databricks-discovery.js';
import { AuthError, toAuthError } from './errors.js';
import { databricksConfiguration, discover, memoizeAsync, toAccessToken } from './openid.js';
import type { AccessToken } from './types.js';

/** Where the company identity provider's JWT (the RFC 8693 subject token) comes from. */
export type SubjectTokenSource =
  | {
      kind: 'idp-client-credentials';
      issuer: string;
      clientId: string;
      clientSecret: string;
      audience?: string;
      scope?: string;
    }
  | { kind: 'file'; path: string }
  | { kind: 'env'; token: string };

export interface OidcFederationSettings extends DatabricksOAuthTarget {
  /** The service principal a service-principal federation policy binds to; absent for an account-wide policy. */
  clientId?: string;
  subject: SubjectTokenSource;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/** The `exp` claim in ms, read without verification (the workspace verifies); undefined if absent or not a JWT. */
function jwtExpiry(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a fresh subject token each time: projected Kubernetes tokens and IdP tokens rotate. */
function subjectTokenReader(source: SubjectTokenSource, now: () => number): () => Promise<string> {
  switch (source.kind) {
    case 'env':
      return async () => source.token;
    case 'file':
      return async () => {
        let token: string;
        try {
          token = (await readFile(source.path, 'utf8')).trim();
          if (!token) throw new Error('the file is empty');
        } catch (err) {
          throw new AuthError(
            `cannot read the OIDC subject token from DATABRICKS_OIDC_TOKEN_FILE=${source.path}: ${(err as Error).message}`,
            'oidc-federation',
            'subject_token_unavailable',
            true,
          );
        }
        // A file token is rotated by whoever mounts it (kubelet refreshes projected tokens well before
        // expiry), so an expired one means "not rotated yet": retryable, and not worth an exchange the
        // workspace would refuse with a permanent-looking invalid_grant.
        const expiresAt = jwtExpiry(token);
        if (expiresAt !== undefined && expiresAt <= now()) {
          throw new AuthError(
            `the OIDC subject token in DATABRICKS_OIDC_TOKEN_FILE=${source.path} expired at ` +
              `${new Date(expiresAt).toISOString()}; waiting for it to be rotated (check whatever writes the file)`,
            'oidc-federation',
            'subject_token_expired',
            true,
          );
        }
        return token;
      };
    case 'idp-client-credentials': {
      // The company IdP is a real OIDC provider: standard discovery, issuer checks included.
      const configuration = memoizeAsync(() =>
        discover(new URL(source.issuer), source.clientId, oidc.ClientSecretBasic(source.clientSecret)),
      );
      return async () => {
        try {
          const parameters: Record<string, string> = {};
          if (source.audience) parameters.resource = source.audience;
          if (source.scope) parameters.scope = source.scope;
          return (await oidc.clientCredentialsGrant(await configuration(), parameters)).access_token;
        } catch (err) {
          throw toAuthError(
            err,
            'oidc-federation',
            `client-credentials request to the identity provider ${source.issuer} for client ${source.clientId}`,
            'check LAKELOOP_OIDC_CLIENT_ID, LAKELOOP_OIDC_CLIENT_SECRET and LAKELOOP_OIDC_AUDIENCE',
          );
        }
      };
    }
  }
}

/**
 * Databricks OAuth token federation: the IdP's JWT is exchanged at the workspace's token endpoint
 * (RFC 8693), so no Databricks secret exists anywhere. `client_id` is sent only for a
 * service-principal federation policy, never a client secret.
 */
export function oidcFederationTokenSource(
  settings: OidcFederationSettings,
  now: () => number = Date.now,
  discovery: DiscoveryOptions = {},
): () => Promise<AccessToken> {
  const readSubjectToken = subjectTokenReader(settings.subject, now);
  const sendClientId: oidc.ClientAuth = (_as, _client, body) => {
    if (settings.clientId) body.set('client_id', settings.clientId);
  };
  const configuration = memoizeAsync(() =>
    databricksConfiguration(
      settings,
      settings.clientId ?? 'account-federation-policy',
      sendClientId,
      'oidc-federation',
      discovery,
    ),
  );
  return async () => {
    const subjectToken = await readSubjectToken();
    try {
      const response = await oidc.genericGrantRequest(await configuration(), TOKEN_EXCHANGE, {
        subject_token: subjectToken,
        subject_token_type: JWT_TOKEN_TYPE,
        scope: 'all-apis',
      });
      return toAccessToken(response, now());
    } catch (err) {
      throw toAuthError(
        err,
        'oidc-federation',
        `token exchange at ${settings.host}${settings.clientId ? ` for service principal ${settings.clientId}` : ''}`,
        "the identity provider's token does not match a federation policy (issuer, audience, subject) " +
          'or has expired; check the policy and LAKELOOP_OIDC_* / DATABRICKS_CLIENT_ID',
      );
    }
  };
}

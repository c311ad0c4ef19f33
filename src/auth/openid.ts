/**
 * openid-client plumbing shared by the OAuth providers: discovery with a timeout, plain HTTP allowed
 * only for loopback (the local emulator and test IdP; real workspaces and IdPs are HTTPS), and token
 * responses turned into AccessTokens.
 */
import * as oidc from 'openid-client';
import type { AccessToken } from './types.js';

const HTTP_TIMEOUT_SECONDS = 15;

export function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname);
}

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
 * Databricks' OAuth server: discovered at `{host}/oidc/.well-known/oauth-authorization-server`
 * (suffix style, so the URL is passed whole rather than derived from an issuer).
 */
export function databricksDiscoveryUrl(host: string): URL {
  return new URL('/oidc/.well-known/oauth-authorization-server', host);
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

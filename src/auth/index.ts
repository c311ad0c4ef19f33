/**
 * The token layer: one TokenProvider per worker, created from validated settings and injected into
 * activities. See types.ts for the contract and token-cache.ts for the refresh rules.
 */
import type { DatabricksAuthSettings } from '../config/databricks.js';
import { oauthM2MTokenSource } from './oauth-m2m.js';
import { oidcFederationTokenSource } from './oidc-federation.js';
import { CachingTokenProvider, type TokenCacheEvents } from './token-cache.js';
import type { AccessToken, TokenProvider } from './types.js';

export { AuthError } from './errors.js';
export type { AccessToken, AuthType, TokenProvider, TokenStats } from './types.js';

export interface TokenProviderOptions extends TokenCacheEvents {
  /**
   * Told once at creation when a development-only method (a PAT) is in use, and when a host's
   * metadata (/.well-known/databricks-config) cannot be used to discover its OAuth server.
   */
  warn?(message: string): void;
  now?: () => number;
}

export function createTokenProvider(
  settings: DatabricksAuthSettings,
  options: TokenProviderOptions = {},
): TokenProvider {
  const now = options.now ?? Date.now;
  const discovery = options.warn ? { warn: options.warn } : {};
  switch (settings.authType) {
    case 'pat': {
      options.warn?.(
        'Databricks auth: using a personal access token (DATABRICKS_TOKEN). PATs are long-lived; use ' +
          'oauth-m2m or oidc-federation outside development.',
      );
      const token: AccessToken = {
        value: settings.token,
        obtainedAt: now(),
        expiresAt: Infinity,
        scopes: [],
      };
      return new CachingTokenProvider('pat', async () => token, options, now);
    }
    case 'oauth-m2m':
      return new CachingTokenProvider(
        'oauth-m2m',
        oauthM2MTokenSource(settings, now, discovery),
        options,
        now,
      );
    case 'oidc-federation':
      return new CachingTokenProvider(
        'oidc-federation',
        oidcFederationTokenSource(settings, now, discovery),
        options,
        now,
      );
  }
}

import * as oidc from 'openid-client';
import { toAuthError } from './errors.js';
import { databricksDiscoveryUrl, discover, memoizeAsync, toAccessToken } from './openid.js';
import type { AccessToken } from './types.js';

export interface OAuthM2MSettings {
  host: string;
  clientId: string;
  clientSecret: string;
}

/**
 * A Databricks service principal's token: client credentials at the workspace's token endpoint,
 * `scope=all-apis`, HTTP Basic client authentication — as the Databricks SDKs do it.
 */
export function oauthM2MTokenSource(
  settings: OAuthM2MSettings,
  now: () => number = Date.now,
): () => Promise<AccessToken> {
  const configuration = memoizeAsync(() =>
    discover(
      databricksDiscoveryUrl(settings.host),
      settings.clientId,
      oidc.ClientSecretBasic(settings.clientSecret),
    ),
  );
  return async () => {
    try {
      const response = await oidc.clientCredentialsGrant(await configuration(), { scope: 'all-apis' });
      return toAccessToken(response, now());
    } catch (err) {
      throw toAuthError(
        err,
        'oauth-m2m',
        `OAuth M2M token request for service principal ${settings.clientId} at ${settings.host}`,
        'check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET (a revoked or rotated secret looks like this)',
      );
    }
  };
}

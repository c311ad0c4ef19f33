import * as oidc from 'openid-client';
import type { DatabricksOAuthTarget, DiscoveryOptions } from './databricks-discovery.js';
import { toAuthError } from './errors.js';
import { databricksConfiguration, memoizeAsync, toAccessToken } from './openid.js';
import type { AccessToken } from './types.js';

export interface OAuthM2MSettings extends DatabricksOAuthTarget {
  clientId: string;
  clientSecret: string;
}

/**
 * A Databricks service principal's token: client credentials at the host's discovered token
 * endpoint, `scope=all-apis`, HTTP Basic client authentication — as the Databricks SDKs do it.
 */
export function oauthM2MTokenSource(
  settings: OAuthM2MSettings,
  now: () => number = Date.now,
  discovery: DiscoveryOptions = {},
): () => Promise<AccessToken> {
  const configuration = memoizeAsync(() =>
    databricksConfiguration(
      settings,
      settings.clientId,
      oidc.ClientSecretBasic(settings.clientSecret),
      'oauth-m2m',
      discovery,
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

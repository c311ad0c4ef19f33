/**
 * The workspace's OAuth server under /oidc, without bearer authentication:
 *  - `GET /oidc/.well-known/oauth-authorization-server`, the metadata openid-client and the SDKs
 *    discover the token endpoint from;
 *  - `POST /oidc/v1/token` for `client_credentials` (OAuth M2M) and RFC 8693 token exchange
 *    (federation). Issued access tokens are opaque and live in the TokenRegistry, so API calls
 *    check them like any other token and answer 401 once they expire or are revoked.
 */
import { clientCredentialsGrant } from './client-credentials.js';
import type { GrantDeps, GrantResult } from './grants.js';
import { SUPPORTED_SCOPES } from './grants.js';
import { NO_STORE, OAuthError } from './oauth-error.js';
import type { TokenRegistry } from './token-registry.js';
import { parseTokenRequest } from './token-request.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from './token-exchange.js';
import type { OAuthCounters } from '../control/stats.js';
import type { Router } from '../http/router.js';
import { ok } from '../http/responses.js';

export const OIDC_PREFIX = '/oidc/';

export interface OidcDeps extends GrantDeps {
  tokens: TokenRegistry;
  counters: OAuthCounters;
  /** http://127.0.0.1:PORT, known once the server listens. */
  baseUrl: () => string;
  /**
   * Whether discovery names the `issuer`. RFC 8414 §2 requires it, but the SDKs read only the
   * endpoints (databricks-sdk-py oauth.py OidcEndpoints.from_dict: authorization_endpoint and
   * token_endpoint); the `no-issuer` dialect leaves it out to find clients that depend on it.
   */
  advertiseIssuer: boolean;
}

export function registerOidcRoutes(router: Router, deps: OidcDeps): void {
  router.route('GET', '/oidc/.well-known/oauth-authorization-server', () => {
    const oidc = `${deps.baseUrl()}/oidc`;
    return ok({
      ...(deps.advertiseIssuer ? { issuer: oidc } : {}),
      authorization_endpoint: `${oidc}/v1/authorize`,
      token_endpoint: `${oidc}/v1/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      grant_types_supported: ['client_credentials', TOKEN_EXCHANGE_GRANT],
      response_types_supported: ['code'],
      scopes_supported: [...SUPPORTED_SCOPES],
    });
  });

  router.route('POST', '/oidc/v1/token', async (ctx) => {
    let grant: GrantResult;
    try {
      const request = parseTokenRequest(ctx.headers, ctx.rawBody);
      const grantType = request.params.get('grant_type');
      if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
      if (grantType === 'client_credentials') grant = clientCredentialsGrant(request, deps);
      else if (grantType === TOKEN_EXCHANGE_GRANT) grant = await tokenExchangeGrant(request, deps);
      else {
        throw new OAuthError(
          'unsupported_grant_type',
          `grant_type ${JSON.stringify(grantType.slice(0, 80))} is not supported; use client_credentials or ${TOKEN_EXCHANGE_GRANT}`,
        );
      }
    } catch (error) {
      if (error instanceof OAuthError) {
        deps.counters.rejected++;
        deps.counters.rejectedByError[error.error] = (deps.counters.rejectedByError[error.error] ?? 0) + 1;
      }
      throw error;
    }
    const issued = deps.tokens.issue('oauth', grant.principal, grant.expiresInSeconds * 1000);
    deps.counters.issuedByGrant[grant.kind]++;
    return {
      status: 200,
      headers: { ...NO_STORE },
      body: {
        access_token: issued.token,
        token_type: 'Bearer',
        expires_in: grant.expiresInSeconds,
        scope: 'all-apis',
        // RFC 8693 §2.2.1 requires it in an exchange response.
        ...(grant.kind === 'token_exchange' ? { issued_token_type: ACCESS_TOKEN_TYPE } : {}),
      },
    };
  });
}

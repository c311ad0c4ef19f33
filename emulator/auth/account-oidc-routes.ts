/**
 * The account's OAuth server, next to the workspace's under /oidc (no bearer authentication):
 *  - `GET /oidc/accounts/{account_id}/.well-known/oauth-authorization-server`, where the Databricks
 *    SDKs discover an account console's token endpoint (databricks-sdk-py oauth.py
 *    get_account_endpoints / get_unified_endpoints; databricks-sdk-go credentials/u2m/
 *    endpoint_supplier.go GetUnifiedOAuthEndpoints);
 *  - `POST /oidc/accounts/{account_id}/v1/token`, the account-level token endpoint
 *    (databricks-sdk-go GetAccountOAuthEndpoints builds exactly this URL).
 *
 * The token endpoint grants what the workspace's does — the same service principals, federation
 * policies and token registry — so an account-level token works on this workspace's APIs, as
 * Databricks allows ("it is possible to authenticate to a workspace using an account-level OAuth
 * token", databricks-sdk-go PR #943). One account, ACCOUNT_ID; another account id is a 404.
 * Unconfirmed [U]: the account document's exact `issuer` (taken here to be the URL the document's
 * well-known path hangs off, as RFC 8414 derives it) and the answer for an unknown account id.
 */
import { ApiError } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { RequestContext, Router } from '../http/router.js';
import type { DialectFlag } from '../options.js';
import { SUPPORTED_SCOPES } from './grants.js';
import { TOKEN_EXCHANGE_GRANT } from './token-exchange.js';

/** The emulated workspace's account (a UUID, as Databricks account ids are). */
export const ACCOUNT_ID = '5e1f0a7c-3b2d-4c8e-9f60-7a1b2c3d4e5f';

const WORKSPACE_TOKEN_PATH = '/oidc/v1/token';

export interface AccountOidcDeps {
  /** http://127.0.0.1:PORT, known once the server listens. */
  baseUrl: () => string;
  dialect: readonly DialectFlag[];
}

function requireAccount(ctx: RequestContext): string {
  const accountId = ctx.params.account_id ?? '';
  if (accountId !== ACCOUNT_ID) {
    throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Account ${accountId.slice(0, 80)} does not exist.`);
  }
  return accountId;
}

/** Register after the workspace's OIDC routes: the token endpoint hands requests to theirs. */
export function registerAccountOidcRoutes(router: Router, deps: AccountOidcDeps): void {
  router.route('GET', '/oidc/accounts/{account_id}/.well-known/oauth-authorization-server', (ctx) => {
    const oidc = `${deps.baseUrl()}/oidc/accounts/${requireAccount(ctx)}`;
    return ok({
      ...(deps.dialect.includes('no-issuer') ? {} : { issuer: oidc }),
      authorization_endpoint: `${oidc}/v1/authorize`,
      token_endpoint: `${oidc}/v1/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      grant_types_supported: ['client_credentials', TOKEN_EXCHANGE_GRANT],
      response_types_supported: ['code'],
      scopes_supported: [...SUPPORTED_SCOPES],
    });
  });

  router.route('POST', '/oidc/accounts/{account_id}/v1/token', (ctx) => {
    requireAccount(ctx);
    const workspace = router.match('POST', WORKSPACE_TOKEN_PATH);
    if (workspace.kind !== 'found') {
      throw new Error(`registerAccountOidcRoutes needs ${WORKSPACE_TOKEN_PATH} registered first`);
    }
    return workspace.handler({ ...ctx, params: {} });
  });
}

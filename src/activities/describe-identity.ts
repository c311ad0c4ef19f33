import type { AuthType } from '../auth/index.js';
import type { DatabricksHttpClient } from '../databricks/http.js';
import { getCurrentPrincipal } from '../databricks/scim.js';
import { withActivityFailures } from './failures.js';

/** Identity metadata only: there is deliberately no field that could hold a token. */
export interface IdentityDescription {
  authType: AuthType;
  host: string;
  principal: { id?: string; userName?: string; displayName?: string; applicationId?: string };
  scopes: string[];
  /** ISO 8601; null for a personal access token, whose expiry the API does not tell us. */
  tokenExpiresAt: string | null;
}

/**
 * Obtains a token (performing the OAuth or federation exchange when needed) and asks the workspace who
 * it belongs to. Lets a workflow fail fast with a clear, non-retryable error when identity is broken.
 */
export async function describeIdentity(databricks: DatabricksHttpClient): Promise<IdentityDescription> {
  return withActivityFailures(async () => {
    const token = await databricks.tokens.getToken();
    const principal = await getCurrentPrincipal(databricks);
    return {
      authType: databricks.tokens.authType,
      host: databricks.host,
      principal: {
        id: principal.id,
        userName: principal.userName,
        displayName: principal.displayName,
        applicationId: principal.applicationId,
      },
      scopes: token.scopes,
      tokenExpiresAt: Number.isFinite(token.expiresAt) ? new Date(token.expiresAt).toISOString() : null,
    };
  });
}

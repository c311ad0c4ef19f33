/**
 * Failures at the OAuth token endpoint. They are not Databricks API errors: RFC 6749 §5.2 (and
 * Databricks' /oidc/v1/token) answer `{error, error_description}`, which is what openid-client and the
 * Python SDK parse. Descriptions name the cause (wrong audience, expired, …) and never contain the
 * presented secret or token.
 */
import type { ApiResponse } from '../http/responses.js';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'temporarily_unavailable';

/** RFC 6749 §5.2: 401 for failed client authentication, 400 for the rest; 503 for our own outage. */
const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  invalid_scope: 400,
  unsupported_grant_type: 400,
  temporarily_unavailable: 503,
};

export class OAuthError extends Error {
  readonly status: number;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
    this.status = STATUS[error];
  }
}

/** Token responses must not be cached (RFC 6749 §5.1), errors included. */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function oauthErrorResponse(error: OAuthError): ApiResponse {
  return {
    status: error.status,
    headers: { ...NO_STORE },
    body: { error: error.error, error_description: error.description },
  };
}

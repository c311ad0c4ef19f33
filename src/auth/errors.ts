import type { AuthType } from './types.js';

/**
 * Identity failures, with a message that names the cause and the settings to check — and never a
 * token, secret or assertion. `retryable` is false when retrying cannot help (rejected credentials,
 * a federation policy mismatch), so workflows fail fast instead of retrying forever.
 */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly authType: AuthType,
    /** The OAuth error code (invalid_client, invalid_grant, …) or a local one (subject_token_unavailable, …). */
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** OAuth error codes that mean "these credentials are wrong", as opposed to "try again later". */
const PERMANENT_OAUTH_ERRORS = new Set([
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_request',
  'invalid_target',
  'access_denied',
]);

interface OAuthFailureShape {
  error?: unknown;
  error_description?: unknown;
  status?: unknown;
  code?: unknown;
  message?: unknown;
}

/**
 * Turns an openid-client failure into an AuthError. Only the OAuth error code, its description and the
 * HTTP status are kept: openid-client errors can carry the request and response, which we drop.
 */
export function toAuthError(err: unknown, authType: AuthType, action: string, hint: string): AuthError {
  // Already classified and worded (a failed discovery, say): pass it on unchanged.
  if (err instanceof AuthError) return err;
  const e = (err ?? {}) as OAuthFailureShape;
  if (typeof e.error === 'string') {
    const description = typeof e.error_description === 'string' ? ` (${e.error_description})` : '';
    const status = typeof e.status === 'number' ? ` [HTTP ${e.status}]` : '';
    const permanent = PERMANENT_OAUTH_ERRORS.has(e.error);
    return new AuthError(
      `${action} was rejected: ${e.error}${description}${status}${permanent ? ` — ${hint}` : ''}`,
      authType,
      e.error,
      !permanent,
    );
  }
  const status = typeof e.status === 'number' ? e.status : undefined;
  const reason = typeof e.message === 'string' ? e.message : String(err);
  // 4xx without an OAuth body (e.g. a wrong discovery URL) will not fix itself; network errors and 5xx may.
  const permanent = status !== undefined && status >= 400 && status < 500 && status !== 429;
  return new AuthError(
    `${action} failed: ${reason}${status ? ` [HTTP ${status}]` : ''}`,
    authType,
    String(e.code ?? 'request_failed'),
    !permanent,
  );
}

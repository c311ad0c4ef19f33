/**
 * The `Authorization: Bearer <token>` check in front of the API. Every failure is a 401 with
 * `error_code` UNAUTHENTICATED. Real workspaces differ in detail (a missing credential is a 401 whose
 * error_code is the number 401; an unknown PAT is a 403 "Invalid access token."); we keep their
 * messages but use the status and string code every typed client maps to "unauthenticated".
 */
import { ApiError } from '../http/api-error.js';
import type { TokenRegistry } from './token-registry.js';

const MESSAGES = {
  missing: 'Credential was not sent or was of an unsupported type for this API.',
  unknown: 'Invalid access token.',
  expired: 'Invalid access token: the token has expired.',
} as const;

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The authenticated principal, or an ApiError(401) to send. */
export function authenticate(tokens: TokenRegistry, header: string | undefined): string {
  const check = tokens.validate(bearerToken(header));
  if (check.ok) return check.record.principal;
  throw new ApiError(401, 'UNAUTHENTICATED', MESSAGES[check.reason]);
}

/**
 * OAuth M2M: `grant_type=client_credentials&scope=all-apis`, the service principal authenticated by
 * HTTP Basic (what the Databricks SDKs send) or by client_id/client_secret in the body.
 */
import type { GrantDeps, GrantResult } from './grants.js';
import { SUPPORTED_SCOPES } from './grants.js';
import { OAuthError } from './oauth-error.js';
import type { ClientCheck } from './service-principals.js';
import type { TokenRequest } from './token-request.js';
import { clientCredentials, requireAllApisScope } from './token-request.js';

export function clientCredentialsGrant(request: TokenRequest, deps: GrantDeps): GrantResult {
  const candidates = clientCredentials(request);
  if (candidates.length === 0) {
    throw new OAuthError(
      'invalid_client',
      "Client authentication failed: send the service principal's client_id and client_secret " +
        '(HTTP Basic or form parameters)',
    );
  }
  let failure: { clientId: string; check: ClientCheck } | undefined;
  for (const { clientId, secret } of candidates) {
    const check = deps.servicePrincipals.authenticate(clientId, secret);
    if (check.ok) {
      requireAllApisScope(request.params, SUPPORTED_SCOPES);
      return {
        kind: 'client_credentials',
        principal: check.principal.applicationId,
        expiresInSeconds: deps.tokenTtlSeconds,
      };
    }
    // Report about the reading that names a known principal, if any.
    if (!failure || (failure.check.ok === false && failure.check.reason === 'unknown')) {
      failure = { clientId, check };
    }
  }
  throw rejection(failure!.clientId, failure!.check);
}

function rejection(clientId: string, check: ClientCheck): OAuthError {
  const why =
    check.ok === false && check.reason === 'unknown'
      ? `no service principal has the client_id ${clientId}`
      : check.ok === false && check.reason === 'inactive'
        ? `service principal ${clientId} is deactivated`
        : `the client secret of service principal ${clientId} is wrong (rotated or deleted?)`;
  return new OAuthError('invalid_client', `Client authentication failed: ${why}`);
}

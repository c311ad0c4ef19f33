/**
 * Databricks OAuth token federation (RFC 8693): the company IdP's JWT is exchanged for a workspace
 * access token when a federation policy trusts it. The checks run in the order that gives the most
 * useful answer: request shape, the service principal named by `client_id`, the token's algorithm,
 * a policy for its issuer, signature and validity, then audience and subject against the policies
 * in scope (the service principal's, or the account-wide ones when no `client_id` is sent).
 *
 * The access token lives as long as `--token-ttl` allows and never past the subject token's `exp`,
 * as Databricks derives it from the federated token.
 */
import type { JWTPayload } from 'jose';
import type { FederationPolicy } from './federation-policy.js';
import { subjectClaim } from './federation-policy.js';
import type { GrantDeps, GrantResult } from './grants.js';
import { SUPPORTED_SCOPES } from './grants.js';
import { OAuthError } from './oauth-error.js';
import { readUnverified } from './subject-token.js';
import type { TokenRequest } from './token-request.js';
import { requireAllApisScope } from './token-request.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export async function tokenExchangeGrant(request: TokenRequest, deps: GrantDeps): Promise<GrantResult> {
  const { params } = request;
  const subjectToken = params.get('subject_token');
  if (!subjectToken) throw new OAuthError('invalid_request', 'subject_token is required');
  const tokenType = params.get('subject_token_type');
  if (tokenType !== JWT_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `subject_token_type must be ${JWT_TOKEN_TYPE}`);
  }
  requireAllApisScope(params, SUPPORTED_SCOPES);
  const clientId = params.get('client_id') || undefined;
  if (clientId !== undefined) requireActivePrincipal(clientId, deps);

  const unverified = readUnverified(subjectToken);
  const issuer = unverified.iss;
  if (typeof issuer !== 'string' || issuer === '') {
    throw new OAuthError('invalid_grant', 'the subject token has no iss claim');
  }
  const trusted = deps.policies.filter((policy) => policy.issuer === issuer);
  if (trusted.length === 0) {
    throw new OAuthError('invalid_grant', `no federation policy trusts tokens issued by ${issuer}`);
  }
  const claims = await verifyWithAnyKeySource(subjectToken, trusted, deps);
  const policy = selectPolicy(claims, issuer, trusted, clientId);

  const principal = policy.client_id ?? (claims[subjectClaim(policy)] as string);
  const remainingSeconds = Math.floor(((claims.exp as number) * 1000 - deps.now()) / 1000);
  if (remainingSeconds < 1) {
    // Within jose's clock tolerance but with no lifetime left to give the access token.
    throw new OAuthError('invalid_grant', 'the subject token has expired (exp is in the past)');
  }
  return {
    kind: 'token_exchange',
    principal,
    expiresInSeconds: Math.min(deps.tokenTtlSeconds, remainingSeconds),
  };
}

function requireActivePrincipal(clientId: string, deps: GrantDeps): void {
  const principal = deps.servicePrincipals.get(clientId);
  if (!principal) {
    throw new OAuthError('invalid_client', `no service principal has the client_id ${clientId}`);
  }
  if (!principal.active) {
    throw new OAuthError('invalid_client', `service principal ${clientId} is deactivated`);
  }
}

/** Policies for one issuer usually share its keys; a policy may point at its own jwks_uri. */
async function verifyWithAnyKeySource(
  token: string,
  trusted: readonly FederationPolicy[],
  deps: GrantDeps,
): Promise<JWTPayload> {
  const sources = [...new Set(trusted.map((policy) => policy.jwks_uri ?? ''))];
  let failure: unknown;
  for (const jwksUri of sources) {
    try {
      return await deps.verifier.verify(token, {
        issuer: trusted[0]!.issuer,
        ...(jwksUri ? { jwksUri } : {}),
      });
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

function selectPolicy(
  claims: JWTPayload,
  issuer: string,
  trusted: readonly FederationPolicy[],
  clientId: string | undefined,
): FederationPolicy {
  const inScope = trusted.filter((policy) => policy.client_id === clientId);
  if (inScope.length === 0) {
    if (clientId !== undefined) {
      throw new OAuthError(
        'invalid_client',
        `service principal ${clientId} has no federation policy for issuer ${issuer}; ` +
          'check client_id (the token may be meant for another service principal, or for an account-wide policy)',
      );
    }
    throw new OAuthError(
      'invalid_request',
      `only service-principal federation policies trust issuer ${issuer}; send the service principal's client_id`,
    );
  }

  const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
  const audienceOk = inScope.filter((policy) => policy.audiences.some((a) => audiences.includes(a)));
  if (audienceOk.length === 0) {
    throw new OAuthError(
      'invalid_grant',
      `the subject token's audience (${audiences.join(', ') || 'none'}) is not accepted by the federation policy`,
    );
  }

  const subjectOk = audienceOk.filter((policy) => {
    const value = claims[subjectClaim(policy)];
    return (
      typeof value === 'string' && value !== '' && (policy.subject === undefined || value === policy.subject)
    );
  });
  if (subjectOk.length === 0) {
    const claim = subjectClaim(audienceOk[0]!);
    const value = claims[claim];
    throw new OAuthError(
      'invalid_grant',
      typeof value === 'string' && value !== ''
        ? `the subject token's subject (${claim}: ${value}) does not match the federation policy`
        : `the subject token has no ${claim} claim, which the federation policy matches on`,
    );
  }
  return subjectOk[0]!;
}

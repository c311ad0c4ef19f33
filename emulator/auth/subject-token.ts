/**
 * Verifying the RFC 8693 subject token (the company IdP's JWT) the way Databricks does: RS256 or ES256
 * only, signature against the issuer's published keys, `iss`, `exp` and `nbf` (with a small clock
 * tolerance). Keys come from the policy's `jwks_uri`, or from the issuer's OpenID discovery document;
 * jose's remote key set caches them and refetches on an unknown `kid`.
 *
 * The issuer whose keys are fetched always comes from a configured policy, never from the token alone,
 * so a token cannot make the emulator fetch an arbitrary URL. Every failure is an OAuthError whose
 * description names the cause without repeating the token.
 */
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { OAuthError } from './oauth-error.js';

/** What Databricks accepts for federated tokens (reference §3). */
export const ALLOWED_ALGORITHMS = ['RS256', 'ES256'] as const;
const CLOCK_TOLERANCE_SECONDS = 5;
const FETCH_TIMEOUT_MS = 5_000;

export interface KeySource {
  issuer: string;
  /** Overrides discovery. */
  jwksUri?: string;
}

/** Header and claims before any verification: enough to pick policies and reject bad algorithms early. */
export function readUnverified(token: string): JWTPayload {
  let alg: unknown;
  let claims: JWTPayload;
  try {
    alg = decodeProtectedHeader(token).alg;
    claims = decodeJwt(token);
  } catch {
    throw new OAuthError('invalid_request', 'subject_token is not a well-formed JWT');
  }
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none') {
    throw new OAuthError(
      'invalid_grant',
      'the subject token is unsigned (alg "none"); federated tokens must be signed with RS256 or ES256',
    );
  }
  if (!(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new OAuthError(
      'invalid_grant',
      `the subject token is signed with ${alg}, which is not supported; federated tokens must be signed with RS256 or ES256`,
    );
  }
  return claims;
}

export class SubjectTokenVerifier {
  private readonly keySets = new Map<string, Promise<JWTVerifyGetKey>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The verified claims, or an OAuthError naming why the token is not acceptable. */
  async verify(token: string, source: KeySource): Promise<JWTPayload> {
    const keys = await this.keySet(source);
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: [...ALLOWED_ALGORITHMS],
        issuer: source.issuer,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.now()),
      });
      return payload;
    } catch (error) {
      throw describeFailure(error, source.issuer);
    }
  }

  /** One remote key set per source; a failed discovery is not cached, so the next request retries. */
  private keySet(source: KeySource): Promise<JWTVerifyGetKey> {
    const key = source.jwksUri ?? `discovery:${source.issuer}`;
    let pending = this.keySets.get(key);
    if (!pending) {
      pending = resolveJwksUri(source).then((uri) =>
        createRemoteJWKSet(uri, { timeoutDuration: FETCH_TIMEOUT_MS }),
      );
      pending.catch(() => this.keySets.delete(key));
      this.keySets.set(key, pending);
    }
    return pending;
  }
}

async function resolveJwksUri(source: KeySource): Promise<URL> {
  if (source.jwksUri) return new URL(source.jwksUri);
  const discovery = `${source.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let document: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const response = await fetch(discovery, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    document = (await response.json()) as typeof document;
  } catch (error) {
    throw unavailable(source.issuer, `its discovery document failed (${(error as Error).message})`);
  }
  // OpenID Connect Discovery §4.3: the document must be the issuer's own.
  if (document.issuer !== source.issuer || typeof document.jwks_uri !== 'string') {
    throw unavailable(source.issuer, 'its discovery document names another issuer or no jwks_uri');
  }
  return new URL(document.jwks_uri);
}

function unavailable(issuer: string, why: string): OAuthError {
  return new OAuthError(
    'temporarily_unavailable',
    `could not load the signing keys of issuer ${issuer}: ${why}`,
  );
}

function describeFailure(error: unknown, issuer: string): OAuthError {
  if (error instanceof errors.JWTExpired) {
    return new OAuthError('invalid_grant', 'the subject token has expired (exp is in the past)');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const why =
      error.claim === 'exp' && error.reason === 'missing'
        ? 'has no exp claim; Databricks derives the access token lifetime from it'
        : error.claim === 'nbf'
          ? 'is not valid yet (nbf is in the future)'
          : error.claim === 'iat'
            ? 'was issued in the future (iat)'
            : error.claim === 'iss'
              ? `was not issued by ${issuer}`
              : `has an invalid ${error.claim} claim`;
    return new OAuthError('invalid_grant', `the subject token ${why}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new OAuthError(
      'invalid_grant',
      `the subject token's signature does not verify with the keys of ${issuer}`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new OAuthError(
      'invalid_grant',
      `no single signing key of ${issuer} matches the subject token's kid`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new OAuthError('invalid_grant', 'the subject token must be signed with RS256 or ES256');
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new OAuthError('invalid_request', 'subject_token is not a well-formed signed JWT');
  }
  if (error instanceof OAuthError) return error;
  // JWKS timeouts, a JWKS endpoint that is down or serves garbage: the IdP's problem, maybe temporary.
  return unavailable(issuer, `its key set could not be fetched (${(error as Error).message})`);
}

/**
 * Reading a token request (RFC 6749 §3.2, §2.3.1): a form-encoded body whose parameters appear at most
 * once, and client credentials from HTTP Basic or from `client_id`/`client_secret` in the body — one
 * method, not both. Nothing here keeps or reports a secret.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { OAuthError } from './oauth-error.js';

export interface ClientCredentials {
  clientId: string;
  secret: string;
}

export interface TokenRequest {
  params: ReadonlyMap<string, string>;
  /** HTTP Basic credentials, when the client sent them: form-decoded first, then as sent (see parseBasic). */
  basic?: ClientCredentials[];
}

export function parseTokenRequest(headers: IncomingHttpHeaders, raw: Buffer): TokenRequest {
  const contentType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'the token request must be application/x-www-form-urlencoded');
  }
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(raw.toString('utf8'))) {
    if (params.has(name)) throw new OAuthError('invalid_request', `parameter ${name} is repeated`);
    params.set(name, value);
  }
  const basic = parseBasic(headers.authorization);
  return { params, ...(basic ? { basic } : {}) };
}

/**
 * The client id and secret, by whichever single method the client used (several readings of the
 * same Basic header, most likely first); empty if it used none.
 */
export function clientCredentials(request: TokenRequest): ClientCredentials[] {
  const bodyId = request.params.get('client_id');
  const bodySecret = request.params.get('client_secret');
  if (request.basic) {
    if (bodySecret !== undefined) {
      throw new OAuthError(
        'invalid_request',
        'the client authenticated with both HTTP Basic and client_secret; use one method',
      );
    }
    if (bodyId !== undefined && !request.basic.some((c) => c.clientId === bodyId)) {
      throw new OAuthError('invalid_request', 'client_id in the body differs from the HTTP Basic client');
    }
    return request.basic;
  }
  if (bodyId !== undefined && bodySecret !== undefined) return [{ clientId: bodyId, secret: bodySecret }];
  return [];
}

/** The space-separated `scope`, which must include all-apis and nothing Databricks would not grant. */
export function requireAllApisScope(params: ReadonlyMap<string, string>, supported: readonly string[]): void {
  const scope = params.get('scope');
  if (scope === undefined || scope.trim() === '') {
    throw new OAuthError('invalid_scope', 'scope is required; request scope=all-apis');
  }
  const scopes = scope.split(' ').filter(Boolean);
  const unknown = scopes.filter((s) => !supported.includes(s));
  if (unknown.length > 0) {
    throw new OAuthError('invalid_scope', `unsupported scope ${unknown.join(' ')}; request scope=all-apis`);
  }
  if (!scopes.includes('all-apis')) {
    throw new OAuthError('invalid_scope', 'scope must include all-apis');
  }
}

/**
 * RFC 6749 §2.3.1: id and secret are form-encoded before base64 (openid-client does this). Clients
 * that skip the encoding (the Python SDK's requests.HTTPBasicAuth) send the raw values, which decoding
 * would change if they contain `%` or `+`; so both readings are offered, the decoded one first.
 */
function parseBasic(header: string | undefined): ClientCredentials[] | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) {
    if (header && /^Basic\b/i.test(header)) {
      throw new OAuthError(
        'invalid_client',
        'Client authentication failed: malformed HTTP Basic credentials',
      );
    }
    return undefined;
  }
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    throw new OAuthError('invalid_client', 'Client authentication failed: malformed HTTP Basic credentials');
  }
  const asSent = { clientId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  const formDecoded = { clientId: formDecode(asSent.clientId), secret: formDecode(asSent.secret) };
  const same = formDecoded.clientId === asSent.clientId && formDecoded.secret === asSent.secret;
  return same ? [asSent] : [formDecoded, asSent];
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

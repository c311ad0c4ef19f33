/**
 * Helpers for the emulator's OAuth tests: raw token requests (so every wire detail is visible), and
 * tokens an IdP must never have signed (unsigned, HS256).
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { SignJWT, UnsecuredJWT } from 'jose';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const ME = '/api/2.0/preview/scim/v2/Me';

export interface TokenResult {
  status: number;
  body: any;
  headers: Headers;
}

/** POST form `params` to the emulator's token endpoint, optionally with HTTP Basic client auth. */
export async function tokenRequest(
  baseUrl: string,
  params: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<TokenResult> {
  const response = await fetch(`${baseUrl}/oidc/v1/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic
        ? { authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}` }
        : {}),
    },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

export function exchange(baseUrl: string, subjectToken: string, clientId?: string): Promise<TokenResult> {
  return tokenRequest(baseUrl, {
    grant_type: TOKEN_EXCHANGE,
    subject_token: subjectToken,
    subject_token_type: JWT_TYPE,
    scope: 'all-apis',
    ...(clientId ? { client_id: clientId } : {}),
  });
}

/** A JWT with `alg: none`: the claims a policy wants, but no signature at all. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  return new UnsecuredJWT(claims).encode();
}

/** An HS256 JWT keyed with `secret` (the classic public-key-as-HMAC-secret confusion). */
export function hs256Jwt(claims: Record<string, unknown>, secret: string): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: 'test-idp-key' })
    .sign(new TextEncoder().encode(secret));
}

/** A loopback port nothing listens on (bound, then released): connection refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

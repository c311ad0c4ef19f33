/**
 * Who may use the codec server: whoever holds LAKELOOP_CODEC_AUTH_TOKEN. Programs (the Temporal CLI's
 * `--codec-auth`, scripts) send it as `Authorization: Bearer …`. A browser cannot add that header to
 * the Temporal UI's requests, so a person signs in once at `/codec/login` and gets a session cookie,
 * which the UI sends along when told to include cross-origin credentials.
 *
 * Every comparison hashes both sides first and compares the digests in constant time (as the webhook
 * receiver's Basic auth does), so timing reveals nothing about the token, not even its length.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'lakeloop_codec_session';

const digest = (value: string) => createHash('sha256').update(value).digest();

function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected)) && presented.length > 0;
}

/** `Authorization: Bearer <token>` carrying exactly the configured token. */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return sameSecret(match?.[1] ?? '', token);
}

/** A token typed into the sign-in form. */
export function tokenMatches(presented: string, token: string): boolean {
  return sameSecret(presented, token);
}

/**
 * Sessions are stateless: `<expiry seconds>.<HMAC(expiry)>`, keyed by a hash of the token. Nothing to
 * store, they survive a restart, and changing the token ends every session.
 */
function sessionMac(token: string, expiresAt: number): string {
  return createHmac('sha256', digest(`lakeloop-codec-session\0${token}`))
    .update(String(expiresAt))
    .digest('base64url');
}

export function issueSession(token: string, ttlSeconds: number, nowMs = Date.now()): string {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  return `${expiresAt}.${sessionMac(token, expiresAt)}`;
}

function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A `Cookie` header holding an unexpired session issued for the configured token. */
export function sessionCookieValid(
  cookieHeader: string | undefined,
  token: string,
  nowMs = Date.now(),
): boolean {
  const value = cookieValue(cookieHeader, SESSION_COOKIE);
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!match) return false;
  const expiresAt = Number(match[1]);
  const macMatches = sameSecret(match[2]!, sessionMac(token, expiresAt));
  return macMatches && expiresAt * 1000 > nowMs;
}

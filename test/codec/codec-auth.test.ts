import { describe, expect, test } from '@jest/globals';
import {
  bearerTokenMatches,
  issueSession,
  SESSION_COOKIE,
  sessionCookieValid,
  tokenMatches,
} from '../../src/codec/codec-auth.js';

const TOKEN = 'a-codec-token-of-at-least-32-characters';

describe('codec server authentication', () => {
  test('bearer: only the exact token, with the Bearer scheme', () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(undefined, TOKEN)).toBe(false);
    expect(bearerTokenMatches('Bearer ', TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
  });

  test('sessions: valid until they expire, bound to the token, not forgeable', () => {
    const now = Date.UTC(2026, 0, 1);
    const session = issueSession(TOKEN, 3600, now);
    const cookie = `other=1; ${SESSION_COOKIE}=${session}; theme=dark`;
    expect(sessionCookieValid(cookie, TOKEN, now)).toBe(true);
    expect(sessionCookieValid(cookie, TOKEN, now + 3_599_000)).toBe(true);
    expect(sessionCookieValid(cookie, TOKEN, now + 3_600_000)).toBe(false);
    // A changed token ends every session.
    expect(sessionCookieValid(cookie, `${TOKEN}-rotated`, now)).toBe(false);
    // Extending the expiry breaks the MAC.
    const [expiry, mac] = session.split('.');
    expect(sessionCookieValid(`${SESSION_COOKIE}=${Number(expiry) + 86_400}.${mac}`, TOKEN, now)).toBe(false);
    expect(sessionCookieValid(`${SESSION_COOKIE}=garbage`, TOKEN, now)).toBe(false);
    expect(sessionCookieValid(undefined, TOKEN, now)).toBe(false);
  });
});

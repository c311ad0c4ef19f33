import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks an `Authorization: Basic …` header in constant time. Both sides are hashed first so that the
 * comparison takes the same time whatever the lengths, and nothing about the secret leaks through timing.
 */
export function basicAuthMatches(header: string | undefined, username: string, password: string): boolean {
  const expected = createHash('sha256').update(`${username}:${password}`).digest();
  let presented = '';
  if (header?.startsWith('Basic ')) {
    try {
      presented = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    } catch {
      presented = '';
    }
  }
  const actual = createHash('sha256').update(presented).digest();
  return timingSafeEqual(expected, actual) && presented.length > 0;
}

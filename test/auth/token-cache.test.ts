import { describe, expect, test } from '@jest/globals';
import { CachingTokenProvider, isUsable, shouldRefresh } from '../../src/auth/token-cache.js';
import type { AccessToken } from '../../src/auth/types.js';

const HOUR = 3_600_000;

function token(value: string, obtainedAt: number, lifetimeMs: number): AccessToken {
  return { value, obtainedAt, expiresAt: obtainedAt + lifetimeMs, scopes: ['all-apis'] };
}

describe('refresh margins', () => {
  test('a one-hour token refreshes with 5 minutes left and is never used with 40 s or less left', () => {
    const t = token('a', 0, HOUR);
    expect(shouldRefresh(t, HOUR - 5 * 60_000 - 1)).toBe(false);
    expect(shouldRefresh(t, HOUR - 5 * 60_000)).toBe(true);
    expect(isUsable(t, HOUR - 40_001)).toBe(true);
    expect(isUsable(t, HOUR - 40_000)).toBe(false);
  });

  test('a 5-second token refreshes at half-life and stays usable until its last 1.25 s', () => {
    const t = token('a', 0, 5_000);
    expect(shouldRefresh(t, 2_499)).toBe(false);
    expect(shouldRefresh(t, 2_500)).toBe(true);
    expect(isUsable(t, 3_749)).toBe(true);
    expect(isUsable(t, 3_750)).toBe(false);
  });

  test('a PAT never refreshes', () => {
    const pat: AccessToken = { value: 'p', obtainedAt: 0, expiresAt: Infinity, scopes: [] };
    expect(shouldRefresh(pat, 10 * HOUR)).toBe(false);
    expect(isUsable(pat, 10 * HOUR)).toBe(true);
  });
});

describe('CachingTokenProvider', () => {
  function setup(lifetimeMs = HOUR) {
    let now = 1_000;
    let fetches = 0;
    let fail: Error | undefined;
    let release: (() => void) | undefined;
    let gate: Promise<void> | undefined;
    const provider = new CachingTokenProvider(
      'oauth-m2m',
      async () => {
        fetches++;
        if (gate) await gate;
        if (fail) throw fail;
        return token(`t${fetches}`, now, lifetimeMs);
      },
      {},
      () => now,
    );
    return {
      provider,
      fetches: () => fetches,
      advance: (ms: number) => (now += ms),
      failWith: (e: Error | undefined) => (fail = e),
      hold: () => {
        gate = new Promise<void>((r) => (release = r));
      },
      release: () => {
        gate = undefined;
        release?.();
      },
    };
  }

  test('reuses the token until the refresh margin, then fetches a new one', async () => {
    const s = setup();
    expect((await s.provider.getToken()).value).toBe('t1');
    s.advance(HOUR - 6 * 60_000);
    expect((await s.provider.getToken()).value).toBe('t1');
    s.advance(2 * 60_000);
    expect((await s.provider.getToken()).value).toBe('t2');
    expect(s.provider.stats()).toEqual({ refreshes: 2, refreshFailures: 0 });
  });

  test('200 concurrent callers share one refresh', async () => {
    const s = setup();
    s.hold();
    const all = Promise.all(Array.from({ length: 200 }, () => s.provider.getToken()));
    s.release();
    const tokens = await all;
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['t1']));
    expect(s.fetches()).toBe(1);
  });

  test('a failed refresh keeps a still-usable token, and fails once the token is not usable', async () => {
    const s = setup();
    await s.provider.getToken();
    s.advance(HOUR - 60_000); // inside the margin, 60 s left: usable
    s.failWith(new Error('idp down'));
    expect((await s.provider.getToken()).value).toBe('t1');
    s.advance(30_000); // 30 s left: not usable
    await expect(s.provider.getToken()).rejects.toThrow('idp down');
    expect(s.provider.stats().refreshFailures).toBe(2);
    s.failWith(undefined);
    expect((await s.provider.getToken()).value).toBe('t4');
  });

  test('invalidate drops only the token that was rejected', async () => {
    const s = setup();
    const first = await s.provider.getToken();
    s.provider.invalidate('some-older-token');
    expect((await s.provider.getToken()).value).toBe(first.value);
    s.provider.invalidate(first.value);
    expect((await s.provider.getToken()).value).toBe('t2');
  });
});

import { describe, expect, test } from '@jest/globals';
import { errorFromResponse, parseRetryAfter } from '../../src/databricks/errors.js';
import { RequestBudget } from '../../src/databricks/request-budget.js';

describe('Databricks error model', () => {
  test.each([
    [400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Run 123 does not exist.' }, 'not-found', false],
    [
      400,
      { error_code: 'INVALID_PARAMETER_VALUE', message: 'Missing required field: tasks' },
      'invalid-request',
      false,
    ],
    [401, { error_code: 'UNAUTHENTICATED', message: 'Invalid access token.' }, 'unauthenticated', false],
    [403, { error_code: 'PERMISSION_DENIED', message: 'no' }, 'permission-denied', false],
    [404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'No API found' }, 'not-found', false],
    [429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }, 'rate-limited', true],
    [503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: '' }, 'unavailable', true],
    [500, { error_code: 'INTERNAL_ERROR', message: 'boom' }, 'server-error', true],
    [
      400,
      { error_code: 'INVALID_STATE', message: 'ClusterNotReadyException: warming up' },
      'invalid-request',
      true,
    ],
  ])('%i %j → %s (retryable: %s)', (status, body, kind, retryable) => {
    const error = errorFromResponse(status, body, null, 'GET /api/2.2/jobs/runs/get');
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(String(body.error_code));
    expect(error.message).toContain('GET /api/2.2/jobs/runs/get');
  });

  test('Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const inFive = new Date(Date.now() + 5000).toUTCString();
    expect(parseRetryAfter(inFive)).toBeGreaterThan(3000);
    expect(errorFromResponse(429, {}, '7', 'x').retryAfterMs).toBe(7000);
  });
});

describe('RequestBudget', () => {
  function fakeClock() {
    let now = 0;
    const sleeps: number[] = [];
    return {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      sleeps,
    };
  }

  test('allows a burst, then paces requests at the sustained rate', async () => {
    const clock = fakeClock();
    const budget = new RequestBudget({ ratePerSecond: 10, burst: 5, ...clock });
    for (let i = 0; i < 5; i++) await budget.acquire();
    expect(clock.now()).toBe(0);
    for (let i = 0; i < 10; i++) await budget.acquire();
    expect(clock.now()).toBeGreaterThanOrEqual(1000);
    expect(clock.now()).toBeLessThan(1100);
    expect(budget.stats().acquired).toBe(15);
  });

  test('a Retry-After pause holds back every caller until it ends', async () => {
    const clock = fakeClock();
    const budget = new RequestBudget({ ratePerSecond: 100, burst: 100, ...clock });
    budget.pauseFor(2000);
    await Promise.all([budget.acquire(), budget.acquire(), budget.acquire()]);
    expect(clock.now()).toBe(2000);
    expect(budget.stats().retryAfterPauses).toBe(1);
  });

  test('rejects nonsense limits', () => {
    expect(() => new RequestBudget({ ratePerSecond: 0, burst: 1 })).toThrow(/ratePerSecond/);
  });
});

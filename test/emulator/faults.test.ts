import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { TestEmulator } from './helpers.js';
import { startTestEmulator, submit, task, waitForTerminal } from './helpers.js';

describe('fault injection', () => {
  let emu: TestEmulator;
  let runId: number;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 20, seed: 7 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
    runId = await submit(emu, { tasks: [task('t')] });
  });

  const get = (version = '2.2'): Promise<any> =>
    emu.api('GET', `/api/${version}/jobs/runs/get?run_id=${runId}`);

  test('a status fault answers a Databricks-shaped error with Retry-After, for `count` requests', async () => {
    await emu.control('POST', '/faults', {
      method: 'GET',
      path: '/jobs/runs/get',
      status: 429,
      retryAfterSeconds: 3,
      count: 2,
    });
    const throttled = [await get('2.1'), await get('2.2')];
    for (const response of throttled) {
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('3');
      expect(response.body.error_code).toBe('REQUEST_LIMIT_EXCEEDED');
      expect(typeof response.body.message).toBe('string');
    }
    expect((await get()).status).toBe(200);
    const stats = emu.handle.stats() as any;
    expect(stats.requests['GET /api/2.1/jobs/runs/get']).toBe(1);
    expect(stats.requests['GET /api/2.2/jobs/runs/get']).toBe(2);
  });

  test('a versioned path matches only that version; method and path must both match', async () => {
    await emu.control('POST', '/faults', { path: '/api/2.1/jobs/runs/get', status: 503 });
    await emu.control('POST', '/faults', { method: 'POST', path: '/jobs/runs/list', status: 500 });
    const v21 = await get('2.1');
    expect(v21.status).toBe(503);
    expect(v21.body.error_code).toBe('TEMPORARILY_UNAVAILABLE');
    expect((await get('2.2')).status).toBe(200);
    expect((await emu.api('GET', '/api/2.2/jobs/runs/list')).status).toBe(200);
    const listed = await emu.control('GET', '/faults');
    expect(listed.http).toHaveLength(2);
    await emu.control('DELETE', '/faults');
    expect((await get('2.1')).status).toBe(200);
  });

  test('probability draws from a seeded source: the same seed fails the same requests', async () => {
    const pattern = async (target: TestEmulator, id: number): Promise<string> => {
      await target.control('POST', '/faults', { path: '/jobs/runs/get', status: 503, probability: 0.5 });
      let result = '';
      for (let i = 0; i < 40; i++) {
        const response = await target.api('GET', `/api/2.2/jobs/runs/get?run_id=${id}`);
        result += response.status === 503 ? 'x' : '.';
      }
      return result;
    };
    const twin = await startTestEmulator({ defaultTaskDurationMs: 20, seed: 7 });
    try {
      const twinRun = await submit(twin, { tasks: [task('t')] });
      const first = await pattern(emu, runId);
      const second = await pattern(twin, twinRun);
      expect(first).toBe(second);
      const failures = first.split('').filter((c) => c === 'x').length;
      expect(failures).toBeGreaterThan(5);
      expect(failures).toBeLessThan(35);
    } finally {
      await twin.close();
    }
  });

  test('latency alone delays the request and then serves it normally', async () => {
    await emu.control('POST', '/faults', { path: '/jobs/runs/get', latencyMs: 300, count: 1 });
    const started = Date.now();
    const slow = await get();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(slow.status).toBe(200);
    expect(slow.body.run_id).toBe(runId);
    // count: 1 — the fault is used up, so the next request is served without it (no timing asserted).
    expect((await emu.control('GET', '/faults')).http).toHaveLength(0);
    expect((await get()).status).toBe(200);
  });

  test('dropResponse does the work and drops the answer; a resubmit with the same token gets the same run', async () => {
    await emu.control('POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/submit',
      dropResponse: true,
      count: 1,
    });
    const before = (emu.handle.stats() as any).runs.created as number;
    const body = { run_name: 'lost-response', idempotency_token: 'lost-response-1', tasks: [task('t')] };
    await expect(emu.api('POST', '/api/2.1/jobs/runs/submit', body)).rejects.toThrow();
    expect((emu.handle.stats() as any).runs.created).toBe(before + 1);

    const retried = await emu.api('POST', '/api/2.1/jobs/runs/submit', body);
    expect(retried.status).toBe(200);
    expect((emu.handle.stats() as any).runs.created).toBe(before + 1);
    const run = await waitForTerminal(emu, retried.body.run_id);
    expect(run.run_name).toBe('lost-response');
  });

  test('invalid fault definitions are rejected', async () => {
    const noEffect = await emu.api('POST', '/__emulator/faults', { path: '/jobs/runs/get' }, { token: null });
    expect(noEffect.status).toBe(400);
    const typo = await emu.api(
      'POST',
      '/__emulator/faults',
      { path: '/x', status: 500, cuont: 1 },
      { token: null },
    );
    expect(typo.status).toBe(400);
    const webhook = await emu.api('POST', '/__emulator/faults', { webhook: 'explode' }, { token: null });
    expect(webhook.status).toBe(400);
  });
});

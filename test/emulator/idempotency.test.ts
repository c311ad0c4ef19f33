import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { TestEmulator } from './helpers.js';
import { createJob, startTestEmulator, task, waitForTerminal } from './helpers.js';

describe('idempotency_token', () => {
  let emu: TestEmulator;
  let jobId: number;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 30 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
    jobId = await createJob(emu, { name: 'idem', max_concurrent_runs: 10, tasks: [task('t')] });
  });

  const created = (): number => (emu.handle.stats() as any).runs.created;

  test('runs/submit with a reused token returns the original run and creates nothing, also once it finished', async () => {
    const body = { run_name: 'once', idempotency_token: 'token-a', tasks: [task('t')] };
    const first = await emu.api('POST', '/api/2.1/jobs/runs/submit', body);
    const second = await emu.api('POST', '/api/2.2/jobs/runs/submit', {
      ...body,
      run_name: 'different body',
    });
    expect(second).toMatchObject({ status: 200, body: { run_id: first.body.run_id } });
    await waitForTerminal(emu, first.body.run_id);
    const third = await emu.api('POST', '/api/2.0/jobs/runs/submit', body);
    expect(third.body.run_id).toBe(first.body.run_id);
    expect(created()).toBe(1);
    const other = await emu.api('POST', '/api/2.1/jobs/runs/submit', {
      ...body,
      idempotency_token: 'token-b',
    });
    expect(other.body.run_id).not.toBe(first.body.run_id);
    expect(created()).toBe(2);
  });

  test('run-now with a reused token returns the same run_id and number_in_job', async () => {
    const first = await emu.api('POST', '/api/2.1/jobs/run-now', {
      job_id: jobId,
      idempotency_token: 'now-1',
    });
    const again = await emu.api('POST', '/api/2.1/jobs/run-now', {
      job_id: jobId,
      idempotency_token: 'now-1',
    });
    expect(again.body).toEqual(first.body);
    expect(first.body.number_in_job).toBe(first.body.run_id);
    expect(created()).toBe(1);
  });

  test('concurrent requests with one token create exactly one run', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        emu.api('POST', '/api/2.1/jobs/runs/submit', { idempotency_token: 'race', tasks: [task('t')] }),
      ),
    );
    expect(new Set(results.map((r) => r.body.run_id)).size).toBe(1);
    expect(created()).toBe(1);
  });

  test('tokens are at most 64 characters', async () => {
    const ok = await emu.api('POST', '/api/2.1/jobs/run-now', {
      job_id: jobId,
      idempotency_token: 'x'.repeat(64),
    });
    expect(ok.status).toBe(200);
    const tooLong = await emu.api('POST', '/api/2.1/jobs/run-now', {
      job_id: jobId,
      idempotency_token: 'x'.repeat(65),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(tooLong.body.message).toContain('idempotency_token');
    expect(created()).toBe(1);
  });

  test('the token of a deleted run is refused', async () => {
    const first = await emu.api('POST', '/api/2.1/jobs/runs/submit', {
      idempotency_token: 'deleted',
      tasks: [task('t')],
    });
    await waitForTerminal(emu, first.body.run_id);
    expect((await emu.api('POST', '/api/2.1/jobs/runs/delete', { run_id: first.body.run_id })).status).toBe(
      200,
    );
    expect((await emu.api('GET', `/api/2.1/jobs/runs/get?run_id=${first.body.run_id}`)).status).toBe(400);
    const reused = await emu.api('POST', '/api/2.1/jobs/runs/submit', {
      idempotency_token: 'deleted',
      tasks: [task('t')],
    });
    expect(reused.status).toBe(400);
    expect(reused.body.error_code).toBe('INVALID_STATE');
  });
});

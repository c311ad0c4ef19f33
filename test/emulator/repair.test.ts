import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { TestEmulator } from './helpers.js';
import { createJob, getRun, runNow, startTestEmulator, task, taskByKey, waitForTerminal } from './helpers.js';

describe('runs/repair', () => {
  let emu: TestEmulator;
  let jobId: number;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 40 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
    // prepare → train (fails the first time) → evaluate; prepare → report
    await emu.control('POST', '/scenarios', { match: { taskKey: 'train' }, durationMs: 40, failTimes: 1 });
    jobId = await createJob(emu, {
      name: 'pipeline',
      tasks: [
        task('prepare'),
        task('train', ['prepare']),
        task('evaluate', ['train']),
        task('report', ['prepare']),
      ],
    });
  });

  const repair = (body: Record<string, unknown>): Promise<any> =>
    emu.api('POST', '/api/2.1/jobs/runs/repair', body);

  test('rerun_all_failed_tasks re-runs only the failed task and what it blocked; history and ids follow', async () => {
    const runId = await runNow(emu, { job_id: jobId });
    const failed = await waitForTerminal(emu, runId);
    expect(failed.state.result_state).toBe('FAILED');
    expect(taskByKey(failed, 'evaluate').state.result_state).toBe('UPSTREAM_FAILED');

    // The re-run evaluate takes a few seconds, so the run is still going when it is read right after
    // the repair's answer (with 40 ms tasks a loaded machine once read it already TERMINATED).
    await emu.control('POST', '/scenarios', { match: { taskKey: 'evaluate' }, durationMs: 3_000 });
    const response = await repair({ run_id: runId, rerun_all_failed_tasks: true });
    expect(response.status).toBe(200);
    const repairId = response.body.repair_id as number;
    expect(typeof repairId).toBe('number');
    const during = await getRun(emu, runId);
    expect(during.state.life_cycle_state).not.toBe('TERMINATED');
    expect(during.end_time).toBe(0);

    const repaired = await waitForTerminal(emu, runId);
    expect(repaired.state.result_state).toBe('SUCCESS');
    const before = (key: string): any => taskByKey(failed, key);
    const after = (key: string): any => taskByKey(repaired, key);
    // Succeeded tasks kept their task runs; failed ones got new runs with attempt_number + 1.
    for (const key of ['prepare', 'report']) {
      expect(after(key).run_id).toBe(before(key).run_id);
      expect(after(key).attempt_number).toBe(0);
    }
    for (const key of ['train', 'evaluate']) {
      expect(after(key).run_id).not.toBe(before(key).run_id);
      expect(after(key).attempt_number).toBe(1);
      expect(after(key).start_time).toBeGreaterThan(failed.end_time - 1);
    }
    expect(after('train').state.result_state).toBe('SUCCESS');
    expect(repaired.repair_history).toHaveLength(2);
    expect(repaired.repair_history[0]).toMatchObject({
      type: 'ORIGINAL',
      task_run_ids: failed.tasks.map((t: any) => t.run_id),
      state: { result_state: 'FAILED' },
    });
    expect(repaired.repair_history[0].id).toBeUndefined();
    expect(repaired.repair_history[1]).toMatchObject({
      type: 'REPAIR',
      id: repairId,
      task_run_ids: [after('train').run_id, after('evaluate').run_id],
      state: { result_state: 'SUCCESS' },
    });
    expect(repaired.run_duration).toBeLessThan(repaired.end_time - repaired.start_time);
    // The replaced attempt is still readable.
    const oldOutput = await emu.api('GET', `/api/2.1/jobs/runs/get-output?run_id=${before('train').run_id}`);
    expect(oldOutput.body.metadata.state.result_state).toBe('FAILED');
  });

  test('latest_repair_id is optional the first time, then required and must be the latest', async () => {
    const runId = await runNow(emu, { job_id: jobId });
    await waitForTerminal(emu, runId);
    const stale = await repair({ run_id: runId, rerun_tasks: ['report'], latest_repair_id: 42 });
    expect(stale.status).toBe(400);
    const first = await repair({ run_id: runId, rerun_tasks: ['train'] });
    expect(first.status).toBe(200);
    await waitForTerminal(emu, runId);

    const missing = await repair({ run_id: runId, rerun_tasks: ['report'] });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('latest_repair_id');
    const wrong = await repair({
      run_id: runId,
      rerun_tasks: ['report'],
      latest_repair_id: first.body.repair_id + 1,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error_code).toBe('INVALID_STATE');

    const second = await repair({
      run_id: runId,
      rerun_tasks: ['report'],
      latest_repair_id: first.body.repair_id,
    });
    expect(second.status).toBe(200);
    const run = await waitForTerminal(emu, runId);
    expect(run.repair_history.map((h: any) => h.id ?? null)).toEqual([
      null,
      first.body.repair_id,
      second.body.repair_id,
    ]);
    expect(taskByKey(run, 'report').attempt_number).toBe(1);
  });

  test('rerun_dependent_tasks re-runs everything downstream of the named tasks', async () => {
    const runId = await runNow(emu, { job_id: jobId });
    const original = await waitForTerminal(emu, runId);
    await repair({ run_id: runId, rerun_tasks: ['prepare'], rerun_dependent_tasks: true });
    const run = await waitForTerminal(emu, runId);
    for (const key of ['prepare', 'train', 'evaluate', 'report']) {
      expect(taskByKey(run, key).run_id).not.toBe(taskByKey(original, key).run_id);
    }
    expect(run.repair_history[1].task_run_ids).toHaveLength(4);
  });

  test('repairs are refused while running, with both or neither selector, and for unknown tasks', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'report' }, durationMs: 5000 });
    const runId = await runNow(emu, { job_id: jobId });
    const active = await repair({ run_id: runId, rerun_all_failed_tasks: true });
    expect(active.status).toBe(400);
    expect(active.body.error_code).toBe('INVALID_STATE');
    await emu.api('POST', '/api/2.1/jobs/runs/cancel', { run_id: runId });
    await waitForTerminal(emu, runId);
    const both = await repair({ run_id: runId, rerun_tasks: ['train'], rerun_all_failed_tasks: true });
    expect(both.status).toBe(400);
    const neither = await repair({ run_id: runId });
    expect(neither.status).toBe(400);
    const unknown = await repair({ run_id: runId, rerun_tasks: ['ghost'] });
    expect(unknown.body.message).toBe(`Task ghost does not exist in run ${runId}.`);
    const missingRun = await repair({ run_id: 123, rerun_all_failed_tasks: true });
    expect(missingRun.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Run 123 does not exist.',
    });
  });

  test('repaired tasks use the current job settings', async () => {
    const runId = await runNow(emu, { job_id: jobId });
    await waitForTerminal(emu, runId);
    await emu.api('POST', '/api/2.1/jobs/update', {
      job_id: jobId,
      new_settings: { tasks: [task('train', ['prepare'], { description: 'v2' })] },
    });
    await repair({ run_id: runId, rerun_tasks: ['train'] });
    const run = await waitForTerminal(emu, runId);
    expect(taskByKey(run, 'train').description).toBe('v2');
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { parseCommandLine } from '../../emulator/cli-options.js';
import type { TestEmulator } from './helpers.js';
import { createJob, startTestEmulator, submit, task, waitForTerminal } from './helpers.js';

const HOUR = 3_600_000;

// Past runs through the control API: what runs/list and runs/get show for them, and the per-run
// durations of a scenario rule. Emulated time runs 100× faster so rule-timed runs end quickly.
describe('imported past runs and per-run durations', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ timeScale: 100 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
  });

  const listRuns = async (query: string) => {
    const answer = await emu.api('GET', `/api/2.2/jobs/runs/list?${query}`);
    expect(answer.status).toBe(200);
    return answer.body as { runs?: any[]; has_more?: boolean };
  };

  test('one-time runs: finished SUBMIT_RUNs in the past, newest first, durations as given', async () => {
    const durations = [540_000, 610_000, 700_000];
    const imported = await emu.control<{ runs: { run_id: number }[] }>('POST', '/runs/import', {
      runName: 'nightly',
      tasks: [task('only')],
      durationsMs: durations,
      intervalMs: 2 * HOUR,
    });
    expect(imported.runs).toHaveLength(3);
    const { runs } = await listRuns('run_type=SUBMIT_RUN&completed_only=true');
    expect(runs?.map((r) => r.run_id)).toEqual(imported.runs.map((r) => r.run_id).reverse());
    runs!.forEach((run, i) => {
      const expected = durations[durations.length - 1 - i]!;
      expect(run).toMatchObject({
        run_name: 'nightly',
        run_type: 'SUBMIT_RUN',
        state: { life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' },
        status: { state: 'TERMINATED', termination_details: { code: 'SUCCESS' } },
        run_duration: expected,
        setup_duration: 0,
        execution_duration: 0,
        cleanup_duration: 0,
      });
      expect(run.end_time - run.start_time).toBe(expected);
    });
    // Starts 2 h apart, the newest 2 h before the emulator's now.
    expect(runs![0].start_time - runs![1].start_time).toBe(2 * HOUR);
    // Each one-time run belongs to a hidden job of its own, as submitted ones do.
    expect(new Set(runs!.map((r) => r.job_id)).size).toBe(3);
    // runs/get with tasks: one task whose three durations add up to the run time.
    const got = await emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${runs![0].run_id}`);
    const only = got.body.tasks[0];
    expect(only.task_key).toBe('only');
    expect(only.setup_duration + only.execution_duration + only.cleanup_duration).toBe(durations[2]);
    expect(only.run_duration).toBe(durations[2]);
  });

  test("a saved job's history: JOB_RUNs listed by job_id, older than a run made afterwards", async () => {
    const jobId = await createJob(emu, { name: 'churn', tasks: [task('train'), task('score', ['train'])] });
    await emu.control('POST', '/scenarios', { match: { runName: 'churn' }, durationMs: 1_000 });
    await emu.control('POST', '/runs/import', { jobId, durationsMs: [100_000, 200_000] });
    const fresh = await emu.api('POST', '/api/2.2/jobs/run-now', { job_id: jobId });
    await waitForTerminal(emu, fresh.body.run_id);
    const { runs } = await listRuns(`job_id=${jobId}&completed_only=true`);
    expect(runs).toHaveLength(3);
    expect(runs![0].run_id).toBe(fresh.body.run_id);
    expect(runs!.slice(1).map((r) => [r.run_type, r.run_name, r.run_duration])).toEqual([
      ['JOB_RUN', 'churn', 200_000],
      ['JOB_RUN', 'churn', 100_000],
    ]);
    expect(runs![1].end_time).toBeLessThan(runs![0].start_time);
  });

  test('refuses an unknown job, a body with neither or both, and one-time runs without tasks', async () => {
    const post = (body: unknown) =>
      fetch(`${emu.url}/__emulator/runs/import`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ jobId: 999_999_999, durationsMs: [1] })).status).toBe(400);
    expect((await post({ durationsMs: [1] })).status).toBe(400);
    expect((await post({ runName: 'x', durationsMs: [1] })).status).toBe(400);
    expect((await post({ runName: 'x', tasks: [task('a')], durationsMs: [] })).status).toBe(400);
    expect((await post({ runName: 'x', tasks: [task('a')], durationsMs: [0] })).status).toBe(400);
  });

  test('a rule with durationsMs: the Nth task it scripts takes the Nth duration, then durationMs', async () => {
    await emu.control('POST', '/scenarios', {
      match: { runName: 'spread' },
      durationsMs: [3_000, 60_000],
      durationMs: 20_000,
    });
    const lengths: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await waitForTerminal(emu, await submit(emu, { run_name: 'spread', tasks: [task('t')] }));
      const only = run.tasks[0];
      lengths.push(only.setup_duration + only.execution_duration + only.cleanup_duration);
    }
    expect(lengths).toEqual([3_000, 60_000, 20_000]);
  });
});

// The bench starts several emulators beside one worker and receiver: each needs its own run-id range.
describe('--first-run-id', () => {
  test('run ids (imported and submitted) start at the given id', async () => {
    const parsed = parseCommandLine(['--pat', 'x', '--first-run-id', '700000000001']);
    expect(parsed).toMatchObject({ firstRunId: 700_000_000_001 });
    expect(() => parseCommandLine(['--pat', 'x', '--first-run-id', 'soon'])).toThrow(/first-run-id/);
    const { firstRunId } = parsed as { firstRunId: number };
    const emu = await startTestEmulator({ timeScale: 100, firstRunId });
    try {
      const imported = await emu.control<{ runs: { run_id: number }[] }>('POST', '/runs/import', {
        runName: 'past',
        tasks: [task('only')],
        durationsMs: [1_000],
      });
      // The task run takes the first id, the run the next (as the engine numbers them).
      expect(imported.runs[0]!.run_id).toBe(firstRunId + 1);
      const submitted = await submit(emu, { run_name: 'now', tasks: [task('only')] });
      expect(submitted).toBeGreaterThan(firstRunId + 1);
      expect(submitted).toBeLessThan(firstRunId + 10);
    } finally {
      await emu.close();
    }
  });
});

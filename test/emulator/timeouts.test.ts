import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { TestEmulator } from './helpers.js';
import { createJob, runNow, startTestEmulator, submit, task, taskByKey, waitForTerminal } from './helpers.js';

// Emulated time runs 100× faster, so second-granular timeouts take tens of milliseconds.
describe('timeouts', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ timeScale: 100 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
    await emu.control('POST', '/scenarios', { match: { taskKey: 'slow' }, durationMs: 600_000 });
    await emu.control('POST', '/scenarios', { match: { taskKey: 'quick' }, durationMs: 1_000 });
  });

  test('a task-level timeout_seconds ends the task TIMEDOUT and fails what depends on it', async () => {
    const run = await waitForTerminal(
      emu,
      await submit(emu, { tasks: [task('slow', [], { timeout_seconds: 5 }), task('after', ['slow'])] }),
    );
    const slow = taskByKey(run, 'slow');
    expect(slow.state).toMatchObject({ result_state: 'TIMEDOUT', user_cancelled_or_timedout: true });
    expect(slow.status.termination_details.code).toBe('CANCELED');
    // Stopped at the deadline: 5 emulated seconds after it started (plus the short stop clean-up).
    expect(slow.setup_duration + slow.execution_duration).toBe(5_000);
    expect(taskByKey(run, 'after').state.result_state).toBe('UPSTREAM_FAILED');
    expect(run.state.result_state).toBe('TIMEDOUT');
  });

  test('a submit-level timeout_seconds stops the whole run: TIMEDOUT, user_cancelled_or_timedout', async () => {
    const run = await waitForTerminal(
      emu,
      await submit(emu, {
        timeout_seconds: 8,
        tasks: [task('quick'), task('slow', ['quick']), task('never', ['slow'])],
      }),
    );
    expect(run.state).toMatchObject({
      life_cycle_state: 'TERMINATED',
      result_state: 'TIMEDOUT',
      user_cancelled_or_timedout: true,
    });
    expect(run.state.state_message).toBe('Run timed out after 8 seconds.');
    expect(run.status.termination_details).toMatchObject({ code: 'CANCELED', type: 'CLIENT_ERROR' });
    expect(taskByKey(run, 'quick').state.result_state).toBe('SUCCESS');
    expect(taskByKey(run, 'slow').state.result_state).toBe('TIMEDOUT');
    expect(taskByKey(run, 'never').state.result_state).toBe('TIMEDOUT');
    expect(run.end_time - run.start_time).toBeGreaterThanOrEqual(8_000);
    expect(run.end_time - run.start_time).toBeLessThan(8_000 + 2_000);
  });

  test('a job-level timeout_seconds applies to run-now', async () => {
    const jobId = await createJob(emu, { name: 'bounded', timeout_seconds: 3, tasks: [task('slow')] });
    const run = await waitForTerminal(emu, await runNow(emu, { job_id: jobId }));
    expect(run.state.result_state).toBe('TIMEDOUT');
  });
});

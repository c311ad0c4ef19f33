import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { TestEmulator } from './helpers.js';
import {
  createJob,
  getRun,
  runNow,
  startTestEmulator,
  submit,
  task,
  waitFor,
  waitForState,
  waitForTerminal,
} from './helpers.js';

describe('run life cycle', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 100 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
  });

  test('a poller sees PENDING → RUNNING → TERMINATING → TERMINATED, with state and status in step', async () => {
    // Emulated time at a quarter of real time stretches setup (200 ms), task clean-up and the run's own
    // clean-up (100 ms each) four times: a poller stalled by a loaded machine still sees each phase.
    const slow = await startTestEmulator({ timeScale: 0.25 });
    try {
      await lifeCycleObserved(slow);
    } finally {
      await slow.close();
    }
  });

  /** On the quarter-speed emulator of the test above (not the suite's `emu`). */
  async function lifeCycleObserved(slow: TestEmulator): Promise<void> {
    await slow.control('POST', '/scenarios', { durationMs: 1000 });
    const runId = await submit(slow, { run_name: 'observed', tasks: [task('only')] });
    const seen: string[] = [];
    const final = await waitFor(
      async () => {
        const run = await getRun(slow, runId);
        const phase = run.state.life_cycle_state as string;
        if (seen[seen.length - 1] !== phase) seen.push(phase);
        // status.state mirrors the legacy life-cycle state while the run is active.
        if (phase !== 'TERMINATED') expect(run.status.state).toBe(phase);
        return run;
      },
      (run) => run.state.life_cycle_state === 'TERMINATED',
      { intervalMs: 5 },
    );
    expect(seen).toEqual(['PENDING', 'RUNNING', 'TERMINATING', 'TERMINATED']);
    expect(final.state).toEqual({
      life_cycle_state: 'TERMINATED',
      result_state: 'SUCCESS',
      state_message: '',
      user_cancelled_or_timedout: false,
    });
    expect(final.status).toEqual({
      state: 'TERMINATED',
      termination_details: { code: 'SUCCESS', type: 'SUCCESS', message: '' },
    });
  }

  test('the run object carries ids, timestamps, durations and per-task runs like Databricks', async () => {
    await emu.control('POST', '/scenarios', { durationMs: 200 });
    const runId = await submit(emu, { run_name: 'shape', tasks: [task('a'), task('b', ['a'])] });
    const during = await getRun(emu, runId);
    expect(during.end_time).toBe(0);
    expect(during.state.result_state).toBeUndefined();
    const run = await waitForTerminal(emu, runId);

    expect(run).toMatchObject({
      run_id: runId,
      number_in_job: runId,
      original_attempt_run_id: runId,
      attempt_number: 0,
      run_name: 'shape',
      run_type: 'SUBMIT_RUN',
      setup_duration: 0,
      execution_duration: 0,
      cleanup_duration: 0,
      run_page_url: `${emu.url}/?o=${emu.handle.workspaceId}#job/${run.job_id}/run/${runId}`,
      repair_history: [{ type: 'ORIGINAL', task_run_ids: run.tasks.map((t: any) => t.run_id) }],
    });
    expect(typeof run.job_id).toBe('number');
    expect(run.end_time).toBeGreaterThan(run.start_time);
    expect(run.run_duration).toBe(run.end_time - run.start_time);
    const [a, b] = run.tasks;
    expect(new Set([runId, a.run_id, b.run_id]).size).toBe(3);
    for (const t of run.tasks) {
      expect(t.attempt_number).toBe(0);
      expect(t.state.result_state).toBe('SUCCESS');
      expect(t.setup_duration + t.execution_duration + t.cleanup_duration).toBe(t.run_duration);
      expect(t.end_time - t.start_time).toBe(t.run_duration);
      expect(t.run_page_url).toContain(`/run/${t.run_id}`);
    }
    expect(b.start_time).toBeGreaterThanOrEqual(a.end_time);
    expect(run.end_time).toBeGreaterThanOrEqual(b.end_time);
  });

  test('get-output works on task runs and is refused on the parent with Databricks’ exact message', async () => {
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'train' },
      durationMs: 50,
      output: { accuracy: 0.9 },
      logs: 'epoch 1\nepoch 2\n',
    });
    const runId = await submit(emu, {
      tasks: [{ task_key: 'train', spark_python_task: { python_file: 'dbfs:/train.py' } }],
    });
    const run = await waitForTerminal(emu, runId);
    expect(run.run_name).toBe('Untitled');

    const output = await emu.api('GET', `/api/2.1/jobs/runs/get-output?run_id=${run.tasks[0].run_id}`);
    expect(output.status).toBe(200);
    expect(JSON.parse(output.body.notebook_output.result)).toEqual({ accuracy: 0.9 });
    expect(output.body.notebook_output.truncated).toBe(false);
    expect(output.body.logs).toBe('epoch 1\nepoch 2\n');
    expect(output.body.logs_truncated).toBe(false);
    expect(output.body.metadata).toMatchObject({
      run_id: run.tasks[0].run_id,
      job_run_id: runId,
      task_key: 'train',
    });

    const parent = await emu.api('GET', `/api/2.1/jobs/runs/get-output?run_id=${runId}`);
    expect(parent.status).toBe(400);
    expect(parent.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message:
        'Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.',
    });

    const taskAsRun = await getRun(emu, run.tasks[0].run_id);
    expect(taskAsRun).toMatchObject({ run_id: run.tasks[0].run_id, job_run_id: runId, task_key: 'train' });
  });

  test('a failing task fails the run with RUN_EXECUTION_ERROR and reports its error', async () => {
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'bad' },
      durationMs: 50,
      result: 'FAILED',
      error: 'ZeroDivisionError: division by zero',
      errorTrace: 'Traceback ...',
    });
    const runId = await submit(emu, { tasks: [task('bad')] });
    const run = await waitForTerminal(emu, runId);
    expect(run.state).toMatchObject({ life_cycle_state: 'TERMINATED', result_state: 'FAILED' });
    expect(run.state.state_message).toBe(
      'Task bad failed with message: Workload failed, see run output for details.',
    );
    expect(run.status.termination_details).toMatchObject({
      code: 'RUN_EXECUTION_ERROR',
      type: 'CLIENT_ERROR',
    });
    const output = await emu.api('GET', `/api/2.0/jobs/runs/get-output?run_id=${run.tasks[0].run_id}`);
    expect(output.body).toMatchObject({
      error: 'ZeroDivisionError: division by zero',
      error_trace: 'Traceback ...',
    });
    expect(output.body.logs).toBeUndefined();
  });

  test('scenario rules produce INTERNAL_ERROR, SKIPPED and chosen termination codes', async () => {
    await emu.control('POST', '/scenarios', {
      match: { runName: 'broken' },
      durationMs: 30,
      lifeCycleState: 'INTERNAL_ERROR',
    });
    await emu.control('POST', '/scenarios', {
      match: { runName: 'skipped' },
      durationMs: 30,
      lifeCycleState: 'SKIPPED',
    });
    await emu.control('POST', '/scenarios', {
      match: { runName: 'cloud' },
      durationMs: 30,
      result: 'FAILED',
      terminationCode: 'CLOUD_FAILURE',
    });
    const [broken, skipped, cloud] = await Promise.all(
      ['broken', 'skipped', 'cloud'].map((name) => submit(emu, { run_name: name, tasks: [task('t')] })),
    );
    const brokenRun = await waitForTerminal(emu, broken!);
    expect(brokenRun.state).toMatchObject({ life_cycle_state: 'INTERNAL_ERROR', result_state: 'FAILED' });
    expect(brokenRun.status).toMatchObject({
      state: 'TERMINATED',
      termination_details: { code: 'INTERNAL_ERROR', type: 'INTERNAL_ERROR' },
    });
    const skippedRun = await waitForTerminal(emu, skipped!);
    expect(skippedRun.state.life_cycle_state).toBe('SKIPPED');
    const cloudRun = await waitForTerminal(emu, cloud!);
    expect(cloudRun.status.termination_details).toMatchObject({
      code: 'CLOUD_FAILURE',
      type: 'CLOUD_FAILURE',
    });
  });

  test('--failed-run-state INTERNAL_ERROR mimics serverless: failed parent in INTERNAL_ERROR, status TERMINATED', async () => {
    const serverless = await startTestEmulator({ failedRunLifeCycle: 'INTERNAL_ERROR' });
    try {
      await serverless.control('POST', '/scenarios', { durationMs: 20, result: 'FAILED' });
      const run = await waitForTerminal(serverless, await submit(serverless, { tasks: [task('t')] }));
      expect(run.state).toMatchObject({ life_cycle_state: 'INTERNAL_ERROR', result_state: 'FAILED' });
      expect(run.status).toMatchObject({
        state: 'TERMINATED',
        termination_details: { code: 'RUN_EXECUTION_ERROR' },
      });
      expect(run.tasks[0].state.life_cycle_state).toBe('TERMINATED');
    } finally {
      await serverless.close();
    }
  });

  test('cancel mid-run goes through TERMINATING to CANCELED / USER_CANCELED', async () => {
    await emu.control('POST', '/scenarios', { durationMs: 5_000 });
    const runId = await submit(emu, { tasks: [task('a'), task('b', ['a'])] });
    await waitForState(emu, runId, 'RUNNING');
    const cancel = await emu.api('POST', '/api/2.1/jobs/runs/cancel', { run_id: runId });
    expect(cancel).toMatchObject({ status: 200, body: {} });
    const right = await getRun(emu, runId);
    expect(right.state.life_cycle_state).toBe('TERMINATING');
    const run = await waitForTerminal(emu, runId);
    expect(run.state).toMatchObject({ result_state: 'CANCELED', user_cancelled_or_timedout: true });
    expect(run.status.termination_details).toMatchObject({ code: 'USER_CANCELED', type: 'SUCCESS' });
    // a was running and is CANCELED; b never started and is skipped because its upstream was canceled.
    expect(run.tasks.map((t: any) => t.state.result_state)).toEqual(['CANCELED', 'UPSTREAM_CANCELED']);
    expect(run.tasks[1].state.life_cycle_state).toBe('SKIPPED');
    // Cancelling a finished run changes nothing.
    await emu.api('POST', '/api/2.1/jobs/runs/cancel', { run_id: runId });
    expect((await getRun(emu, runId)).state.result_state).toBe('CANCELED');
  });

  test('a job at max_concurrent_runs queues new runs (2.2 default) and starts them when a slot frees', async () => {
    await emu.control('POST', '/scenarios', { durationMs: 300 });
    const jobId = await createJob(emu, { name: 'serial', tasks: [task('t')] });
    const first = await runNow(emu, { job_id: jobId });
    const second = await runNow(emu, { job_id: jobId });
    const queued = await getRun(emu, second);
    expect(queued.state).toMatchObject({ life_cycle_state: 'QUEUED' });
    expect(queued.status).toMatchObject({
      state: 'QUEUED',
      queue_details: { code: 'MAX_CONCURRENT_RUNS_REACHED' },
    });
    const firstDone = await waitForTerminal(emu, first);
    const secondDone = await waitForTerminal(emu, second);
    expect(secondDone.state.result_state).toBe('SUCCESS');
    expect(secondDone.tasks[0].start_time).toBeGreaterThanOrEqual(firstDone.tasks[0].end_time);
    expect(secondDone.queue_duration).toBeGreaterThan(0);
  });

  test('without queueing (a 2.1 job) a run beyond the limit is SKIPPED', async () => {
    await emu.control('POST', '/scenarios', { durationMs: 5000 });
    const created = await emu.api('POST', '/api/2.1/jobs/create', { name: 'no-queue', tasks: [task('t')] });
    const jobId = created.body.job_id;
    const first = await runNow(emu, { job_id: jobId });
    const second = await runNow(emu, { job_id: jobId });
    const skipped = await getRun(emu, second);
    expect(skipped.state).toMatchObject({
      life_cycle_state: 'SKIPPED',
      result_state: 'MAXIMUM_CONCURRENT_RUNS_REACHED',
    });
    expect(skipped.status.termination_details.code).toBe('MAX_CONCURRENT_RUNS_EXCEEDED');
    await emu.api('POST', '/api/2.1/jobs/runs/cancel-all', { job_id: jobId });
    expect((await waitForTerminal(emu, first)).state.result_state).toBe('CANCELED');
  });

  test('runs/list filters active and completed runs; cancel-all with all_queued_runs empties queues', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'slow' }, durationMs: 60_000 });
    await emu.control('POST', '/scenarios', { match: { taskKey: 'fast' }, durationMs: 10 });
    const fast = await submit(emu, { tasks: [task('fast')] });
    await waitForTerminal(emu, fast);
    const slow = await submit(emu, { tasks: [task('slow')] });
    const jobId = await createJob(emu, { name: 'q', tasks: [task('slow')] });
    const running = await runNow(emu, { job_id: jobId });
    const queued = await runNow(emu, { job_id: jobId });

    const active = await emu.api('GET', '/api/2.2/jobs/runs/list?active_only=true&limit=25');
    expect(active.body.runs.map((r: any) => r.run_id)).toEqual([queued, running, slow]);
    const completed = await emu.api('GET', '/api/2.2/jobs/runs/list?completed_only=true');
    expect(completed.body.runs.map((r: any) => r.run_id)).toEqual([fast]);
    const both = await emu.api('GET', '/api/2.2/jobs/runs/list?completed_only=true&active_only=true');
    expect(both.status).toBe(400);

    await emu.api('POST', '/api/2.2/jobs/runs/cancel-all', { all_queued_runs: true });
    expect((await waitForTerminal(emu, queued)).state.result_state).toBe('CANCELED');
    expect(['PENDING', 'RUNNING']).toContain((await getRun(emu, slow)).state.life_cycle_state);
  });

  test('--time-scale divides durations and keeps reported timestamps consistent', async () => {
    const fast = await startTestEmulator({ timeScale: 600 });
    try {
      await fast.control('POST', '/scenarios', { durationMs: 600_000 });
      const started = Date.now();
      const run = await waitForTerminal(fast, await submit(fast, { tasks: [task('ten-minutes')] }));
      const realMs = Date.now() - started;
      expect(realMs).toBeLessThan(5_000);
      const t = run.tasks[0];
      // 600 000 emulated ms = 1 s real at scale 600; the report speaks emulated time throughout.
      expect(t.run_duration).toBe(600_000);
      expect([t.setup_duration, t.execution_duration, t.cleanup_duration]).toEqual([2000, 597_000, 1000]);
      expect(t.end_time - t.start_time).toBe(t.run_duration);
      expect(run.end_time - run.start_time).toBe(run.run_duration);
      // …while the wall clock saw about one second.
      const debug = await fast.control('GET', `/runs/${run.run_id}`);
      expect(debug.ended_at_ms - debug.created_at_ms).toBeGreaterThanOrEqual(900);
      expect(debug.ended_at_ms - debug.created_at_ms).toBeLessThanOrEqual(realMs);
    } finally {
      await fast.close();
    }
  });
});

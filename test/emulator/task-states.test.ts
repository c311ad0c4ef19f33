/**
 * Per-task result states a run can end with besides SUCCESS/FAILED — EXCLUDED, UPSTREAM_FAILED,
 * UPSTREAM_CANCELED, DISABLED — and the parent's SUCCESS_WITH_FAILURES rule ("The job run completed
 * successfully with some failures; leaf tasks were successful", RunResultState in databricks-sdk-py).
 * Disabled tasks follow docs.databricks.com/jobs/disabled-tasks; job parameters follow
 * docs.databricks.com/jobs/job-parameters.html.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { decideRunIf } from '../../emulator/runs/run-conditions.js';
import type { TestEmulator } from './helpers.js';
import {
  createJob,
  runNow,
  startTestEmulator,
  task,
  taskByKey,
  waitForState,
  waitForTerminal,
} from './helpers.js';

describe('run_if with disabled upstream tasks (docs: "Disabled tasks in Lakeflow Jobs")', () => {
  test.each([
    // The docs' table, row by row, with its examples.
    ['ALL_SUCCESS', ['DISABLED'], 'DISABLED'],
    ['AT_LEAST_ONE_SUCCESS', ['DISABLED', 'SUCCESS'], 'RUN'],
    ['AT_LEAST_ONE_SUCCESS', ['DISABLED', 'FAILED'], 'DISABLED'],
    ['NONE_FAILED', ['DISABLED', 'EXCLUDED'], 'RUN'],
    ['NONE_FAILED', ['DISABLED'], 'DISABLED'],
    ['NONE_FAILED', ['DISABLED', 'FAILED'], 'UPSTREAM_FAILED'],
    ['ALL_DONE', ['DISABLED'], 'RUN'],
    ['AT_LEAST_ONE_FAILED', ['DISABLED', 'FAILED'], 'RUN'],
    ['AT_LEAST_ONE_FAILED', ['DISABLED', 'SUCCESS'], 'DISABLED'],
    ['ALL_FAILED', ['DISABLED'], 'DISABLED'],
    ['ALL_FAILED', ['DISABLED', 'FAILED'], 'DISABLED'],
    ['ALL_SUCCESS', ['DISABLED', 'CANCELED'], 'UPSTREAM_CANCELED'],
  ] as const)('%s with %j → %s', (runIf, deps, expected) => {
    expect(decideRunIf(runIf, deps)).toBe(expected);
  });
});

describe('task result states over HTTP', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 40 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
  });

  test('a disabled task is DISABLED without running, its downstream follows run_if, and the run succeeds with failures', async () => {
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'flaky' },
      durationMs: 40,
      result: 'FAILED',
    });
    const jobId = await createJob(emu, {
      name: 'with-disabled',
      tasks: [
        task('load', [], { disabled: true }),
        task('needs_load', ['load']),
        task('after_load', ['load'], { run_if: 'ALL_DONE' }),
        task('flaky'),
        task('cleanup', ['load', 'flaky'], { run_if: 'AT_LEAST_ONE_FAILED' }),
      ],
    });
    const settings = (await emu.api('GET', `/api/2.2/jobs/get?job_id=${jobId}`)).body.settings;
    // "Only explicitly disabled tasks have disabled: true in the job definition."
    expect(settings.tasks.map((t: any) => t.disabled)).toEqual([
      true,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);

    const run = await waitForTerminal(emu, await runNow(emu, { job_id: jobId }));
    const state = (key: string): any => taskByKey(run, key).state;
    expect(state('load')).toMatchObject({ life_cycle_state: 'SKIPPED', result_state: 'DISABLED' });
    expect(taskByKey(run, 'load').status.termination_details).toMatchObject({
      code: 'DISABLED',
      type: 'SUCCESS',
    });
    expect(taskByKey(run, 'load').execution_duration).toBe(0);
    expect(state('needs_load').result_state).toBe('DISABLED');
    expect(state('after_load').result_state).toBe('SUCCESS');
    expect(state('flaky').result_state).toBe('FAILED');
    expect(state('cleanup').result_state).toBe('SUCCESS');
    // Leaves: needs_load (disabled), after_load and cleanup (succeeded); flaky failed upstream.
    expect(run.state.result_state).toBe('SUCCESS_WITH_FAILURES');
    expect(run.status.termination_details).toMatchObject({ code: 'SUCCESS_WITH_FAILURES', type: 'SUCCESS' });
    // A disabled task is not a failure: rerun_all_failed_tasks re-runs flaky and leaves load alone.
    const repair = await emu.api('POST', '/api/2.2/jobs/runs/repair', {
      run_id: run.run_id,
      rerun_all_failed_tasks: true,
    });
    expect(repair.status).toBe(200);
    const repaired = await waitForTerminal(emu, run.run_id);
    expect(taskByKey(repaired, 'flaky').attempt_number).toBe(1);
    expect(taskByKey(repaired, 'load').run_id).toBe(taskByKey(run, 'load').run_id);
    expect(taskByKey(repaired, 'load').attempt_number).toBe(0);
  });

  test('EXCLUDED and UPSTREAM_FAILED by run_if; a failed leaf fails the run', async () => {
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'ingest' },
      durationMs: 40,
      result: 'FAILED',
    });
    const run = await waitForTerminal(
      emu,
      await runNow(emu, {
        job_id: await createJob(emu, {
          name: 'chain',
          tasks: [
            task('ingest'),
            task('transform', ['ingest']),
            task('on_success', ['ingest'], { run_if: 'NONE_FAILED' }),
            task('ok'),
            task('alert', ['ok'], { run_if: 'AT_LEAST_ONE_FAILED' }),
          ],
        }),
      }),
    );
    expect(taskByKey(run, 'transform').state.result_state).toBe('UPSTREAM_FAILED');
    expect(taskByKey(run, 'on_success').state.result_state).toBe('UPSTREAM_FAILED');
    expect(taskByKey(run, 'alert').state.result_state).toBe('EXCLUDED');
    expect(run.state.result_state).toBe('FAILED');
    expect(run.state.state_message).toBe(
      'Task ingest failed with message: Workload failed, see run output for details.',
    );
  });

  test('cancelling a run: the running task is CANCELED, the ones waiting on it UPSTREAM_CANCELED', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'long' }, durationMs: 600_000 });
    const runId = await runNow(emu, {
      job_id: await createJob(emu, {
        name: 'cancel-me',
        tasks: [task('long'), task('next', ['long']), task('last', ['next'], { run_if: 'ALL_DONE' })],
      }),
    });
    await waitForState(emu, runId, 'RUNNING');
    await emu.api('POST', '/api/2.2/jobs/runs/cancel', { run_id: runId });
    const run = await waitForTerminal(emu, runId);
    expect(run.state.result_state).toBe('CANCELED');
    expect(run.tasks.map((t: any) => [t.task_key, t.state.life_cycle_state, t.state.result_state])).toEqual([
      ['long', 'TERMINATED', 'CANCELED'],
      ['next', 'SKIPPED', 'UPSTREAM_CANCELED'],
      ['last', 'SKIPPED', 'UPSTREAM_CANCELED'],
    ]);
  });

  test('job parameters: definitions with defaults, run-now overrides, {name, default, value} in runs/get', async () => {
    const invalid = await emu.api('POST', '/api/2.2/jobs/create', {
      name: 'bad-param',
      tasks: [task('a')],
      parameters: [{ name: 'no spaces', default: 'x' }],
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toContain('parameters[0].name');
    const noDefault = await emu.api('POST', '/api/2.2/jobs/create', {
      name: 'no-default',
      tasks: [task('a')],
      parameters: [{ name: 'date' }],
    });
    expect(noDefault.status).toBe(400);
    expect(noDefault.body.message).toBe('Missing required field: parameters[0].default');

    const jobId = await createJob(emu, {
      name: 'params',
      tasks: [task('a')],
      parameters: [
        { name: 'date', default: '2026-01-01' },
        { name: 'model.version', default: '3' },
      ],
    });
    const run = await waitForTerminal(
      emu,
      await runNow(emu, { job_id: jobId, job_parameters: { date: '2026-12-03' } }),
    );
    expect(run.job_parameters).toEqual([
      { name: 'date', default: '2026-01-01', value: '2026-12-03' },
      { name: 'model.version', default: '3', value: '3' },
    ]);
  });
});

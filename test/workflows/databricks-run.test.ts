/**
 * databricksRun end to end: real dev server, real worker, the emulator over real HTTP. Every test
 * asserts what Databricks saw from the emulator's stats (runs created, requests per endpoint).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunInput } from '../../src/shared/run-input.js';
import type { RunResult } from '../../src/shared/run-types.js';
import { databricksRun } from '../../src/workflows/index.js';
import { createJob, getRun, waitFor, type TestEmulator } from '../emulator/helpers.js';
import {
  requestCounts,
  runsCreated,
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '../helpers/workspace.js';

const FAST_POLL = { mode: 'poll' as const, pollInterval: '100ms', maxPollInterval: '300ms' };

describe('databricksRun', () => {
  let harness: WorkspaceHarness;
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let taskQueue: string;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({ name: 'dbrun' });
    ({ env, emulator, taskQueue } = harness);
  });
  afterAll(() => harness?.close());
  beforeEach(async () => {
    await emulator.control('POST', '/reset');
  });

  async function execute(
    input: RunInput,
    id = `dbrun-${Math.random().toString(36).slice(2)}`,
  ): Promise<RunResult> {
    return env.client.workflow.execute(databricksRun, { taskQueue, workflowId: id, args: [input] });
  }

  async function failure(input: RunInput): Promise<{ type?: string; result?: RunResult; message: string }> {
    const error = await execute(input).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    const app = cause as ApplicationFailure;
    return {
      type: app.type ?? undefined,
      result: app.details?.[0] as RunResult | undefined,
      message: app.message,
    };
  }

  test('runs a job by id with parameters, returns outputs, and creates exactly one run', async () => {
    const jobId = await createJob(emulator, {
      name: 'nightly-train',
      parameters: [{ name: 'date', default: '2026-01-01' }],
      tasks: [{ task_key: 'train', notebook_task: { notebook_path: '/Repos/ml/train' } }],
    });
    await emulator.control('POST', '/scenarios', {
      match: { taskKey: 'train' },
      durationMs: 300,
      output: { auc: 0.91 },
    });

    const result = await execute({ jobId, jobParameters: { date: '2026-11-26' }, wait: FAST_POLL });

    expect(result).toMatchObject({
      outcome: 'SUCCESS',
      succeeded: true,
      jobId: String(jobId),
      waitMode: 'poll',
      repairs: 0,
    });
    expect(result.jobFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Databricks' run_page_url in the path form, which opens for non-admins too (src/shared/run-page-url.ts).
    expect(result.runPageUrl).toBe(
      `${emulator.url}/jobs/${jobId}/runs/${result.runId}?o=${emulator.handle.workspaceId}`,
    );
    expect(result.outputs).toEqual([expect.objectContaining({ taskKey: 'train', result: '{"auc":0.91}' })]);
    expect(result.attempts).toEqual([
      expect.objectContaining({ attempt: 1, kind: 'submit', outcome: 'SUCCESS' }),
    ]);
    expect(await runsCreated(emulator)).toBe(1);
    const run = await getRun(emulator, result.runId);
    expect(run.job_parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'date', value: '2026-11-26' })]),
    );
  });

  test('heartbeat mode waits in one long activity however many polls it makes', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'heartbeat' }, durationMs: 3_000 });
    const getsBefore = (await requestCounts(emulator))['GET /api/*/jobs/runs/get'] ?? 0;
    const workflowId = `dbrun-heartbeat-${Date.now()}`;
    const result = await execute(
      {
        submit: {
          run_name: 'heartbeat',
          tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
        },
        wait: { mode: 'heartbeat', heartbeatPollInterval: '200ms' },
      },
      workflowId,
    );
    expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'heartbeat' });
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    // submitRun, one waitForTermination however many polls it made, getRunOutputs.
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name)).toEqual([
      'submitRun',
      'waitForTermination',
      'getRunOutputs',
    ]);
    // Several polls (every 200 ms over a 3 s run; fewer only if the machine stalls for seconds).
    const counts = await requestCounts(emulator);
    expect((counts['GET /api/*/jobs/runs/get'] ?? 0) - getsBefore).toBeGreaterThanOrEqual(2);
  });

  test('records the run id and state as search attributes', async () => {
    const workflowId = `dbrun-sa-${Date.now()}`;
    const result = await execute(
      {
        submit: { run_name: 'sa', tasks: [{ task_key: 't', notebook_task: { notebook_path: '/x' } }] },
        wait: FAST_POLL,
      },
      workflowId,
    );
    const description = await env.client.workflow.getHandle(workflowId).describe();
    expect(description.searchAttributes.DatabricksRunId).toEqual([result.runId]);
    expect(description.searchAttributes.DatabricksRunState).toEqual(['SUCCESS']);
  });

  test.each([
    [
      'FAILED',
      { result: 'FAILED', terminationCode: 'RUN_EXECUTION_ERROR', error: 'ZeroDivisionError' },
      'FAILED',
    ],
    [
      'INTERNAL_ERROR',
      { lifeCycleState: 'INTERNAL_ERROR', terminationCode: 'INTERNAL_ERROR' },
      'INTERNAL_ERROR',
    ],
    ['SKIPPED', { lifeCycleState: 'SKIPPED' }, 'SKIPPED'],
  ])('classifies a %s run and fails the workflow with the typed result', async (name, scenario, outcome) => {
    await emulator.control('POST', '/scenarios', {
      match: { runName: `classify-${name}` },
      durationMs: 200,
      ...scenario,
    });
    const { type, result } = await failure({
      submit: {
        run_name: `classify-${name}`,
        tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
      },
      wait: FAST_POLL,
    });
    expect(type).toBe('DatabricksRunFailed');
    expect(result?.outcome).toBe(outcome);
    expect(result?.succeeded).toBe(false);
    expect(await runsCreated(emulator)).toBe(1);
  });

  test('a run past its Databricks timeout_seconds is classified TIMEDOUT', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'slow' }, durationMs: 30_000 });
    const { result } = await failure({
      submit: {
        run_name: 'slow',
        timeout_seconds: 1,
        tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
      },
      wait: FAST_POLL,
    });
    expect(result?.outcome).toBe('TIMEDOUT');
  });

  test('a CLOUD_FAILURE retried by policy succeeds on the second attempt (resubmit: exactly two runs)', async () => {
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'flaky-cloud' },
      durationMs: 200,
      terminationCode: 'CLOUD_FAILURE',
      failTimes: 1,
    });
    const result = await execute({
      submit: {
        run_name: 'flaky-cloud',
        tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
      },
      wait: FAST_POLL,
      retry: { maxAttempts: 2, strategy: 'resubmit' },
    });
    expect(result.outcome).toBe('SUCCESS');
    expect(result.attempts.map((a) => [a.attempt, a.kind, a.outcome, a.terminationType])).toEqual([
      [1, 'submit', 'FAILED', 'CLOUD_FAILURE'],
      [2, 'submit', 'SUCCESS', 'SUCCESS'],
    ]);
    expect(await runsCreated(emulator)).toBe(2);
  });

  test('a multi-task job whose one task failed is repaired: only that task re-runs', async () => {
    const jobId = await createJob(emulator, {
      name: 'three-steps',
      tasks: [
        { task_key: 'extract', notebook_task: { notebook_path: '/e' } },
        { task_key: 'train', depends_on: [{ task_key: 'extract' }], notebook_task: { notebook_path: '/t' } },
        { task_key: 'report', notebook_task: { notebook_path: '/r' } },
      ],
    });
    await emulator.control('POST', '/scenarios', { match: {}, durationMs: 150 });
    await emulator.control('POST', '/scenarios', {
      match: { taskKey: 'train' },
      durationMs: 150,
      terminationCode: 'DRIVER_ERROR',
      failTimes: 1,
    });
    const result = await execute({
      jobId,
      wait: FAST_POLL,
      retry: { maxAttempts: 2, terminationCodes: ['DRIVER_ERROR'] },
    });

    expect(result.outcome).toBe('SUCCESS');
    expect(result.repairs).toBe(1);
    expect(result.attempts.map((a) => a.kind)).toEqual(['submit', 'repair']);
    expect(await runsCreated(emulator)).toBe(1);
    const run = await getRun(emulator, result.runId);
    const repair = run.repair_history.find((r: { type: string }) => r.type === 'REPAIR');
    const trainRunId = run.tasks.find((t: { task_key: string }) => t.task_key === 'train').run_id;
    expect(repair.task_run_ids).toEqual([trainRunId]);
  });

  test('a lost submit response never submits twice', async () => {
    await emulator.control('POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/submit',
      dropResponse: true,
      count: 1,
    });
    const result = await execute({
      submit: {
        run_name: 'lost-response',
        tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
      },
      wait: FAST_POLL,
    });
    expect(result.outcome).toBe('SUCCESS');
    const counts = await requestCounts(emulator);
    expect(counts['POST /api/*/jobs/runs/submit']).toBe(2);
    expect(await runsCreated(emulator)).toBe(1);
  });

  test('a 429 storm and 503s on runs/get delay but never fail the workflow', async () => {
    await emulator.control('POST', '/faults', {
      path: '/jobs/runs/get',
      status: 429,
      retryAfterSeconds: 1,
      count: 4,
    });
    await emulator.control('POST', '/faults', { path: '/jobs/runs/get', status: 503, count: 4 });
    const result = await execute({
      submit: { run_name: 'storm', tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
      wait: FAST_POLL,
    });
    expect(result.outcome).toBe('SUCCESS');
    const counts = await requestCounts(emulator);
    expect(counts['GET /api/*/jobs/runs/get']).toBeGreaterThanOrEqual(9);
    expect(await runsCreated(emulator)).toBe(1);
  });

  test('cancelling the workflow cancels the Databricks run', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'long' }, durationMs: 120_000 });
    const handle = await env.client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: `dbrun-cancel-${Date.now()}`,
      args: [
        {
          submit: { run_name: 'long', tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
          wait: FAST_POLL,
        },
      ],
    });
    const runId = await waitFor(
      async () => (await handle.query('status')) as { runId?: number },
      (s) => s.runId !== undefined,
    ).then((s) => s.runId!);
    await waitFor(
      () => getRun(emulator, runId),
      (r) => r.state.life_cycle_state === 'RUNNING',
    );
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const run = await getRun(emulator, runId);
    expect(run.state).toMatchObject({ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' });
  });

  test('with onCancel "detach", cancelling leaves the Databricks run running and says so', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'detached' }, durationMs: 120_000 });
    const handle = await env.client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: `dbrun-detach-${Date.now()}`,
      args: [
        {
          submit: {
            run_name: 'detached',
            tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
          },
          wait: FAST_POLL,
          onCancel: 'detach',
        },
      ],
    });
    const runId = await waitFor(
      async () => (await handle.query('status')) as { runId?: number },
      (s) => s.runId !== undefined,
    ).then((s) => s.runId!);
    await handle.cancel();
    const result = await handle.result();
    expect(result).toMatchObject({ detached: true, runId });
    const run = await getRun(emulator, runId);
    expect(['PENDING', 'RUNNING']).toContain(run.state.life_cycle_state);
    await emulator.api('POST', '/api/2.2/jobs/runs/cancel', { run_id: runId });
  });

  test('the workflow-level deadline cancels the Databricks run and fails TIMEDOUT', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'deadline' }, durationMs: 120_000 });
    const { result } = await failure({
      submit: { run_name: 'deadline', tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
      wait: FAST_POLL,
      timeout: '2s',
    });
    expect(result?.outcome).toBe('TIMEDOUT');
    const run = await getRun(emulator, result!.runId);
    expect(run.state.result_state).toBe('CANCELED');
  });

  /** runs/submit answers after 3 s; the run it creates lasts two minutes unless cancelled. */
  async function slowSubmit(runName: string): Promise<void> {
    await emulator.control('POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/submit',
      latencyMs: 3_000,
      count: 1,
    });
    await emulator.control('POST', '/scenarios', { match: { runName }, durationMs: 120_000 });
  }

  // Before SUBMISSION_OUTLIVES_CANCELLATION_PATCH both left the run created by the slow submit running,
  // with no workflow knowing its id (the deadline's result said run 0).
  test('a deadline that passes while runs/submit is answering cancels the run that submit created', async () => {
    await slowSubmit('deadline-submit');
    const runsBefore = await runsCreated(emulator);
    const { result } = await failure({
      submit: {
        run_name: 'deadline-submit',
        tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
      },
      wait: FAST_POLL,
      timeout: '1s',
    });
    expect(result).toMatchObject({ outcome: 'TIMEDOUT' });
    expect(result!.runId).toMatch(/^[1-9]\d*$/);
    expect((await getRun(emulator, result!.runId)).state.result_state).toBe('CANCELED');
    expect((await runsCreated(emulator)) - runsBefore).toBe(1);
  });

  test('a cancel request that arrives while runs/submit is answering cancels the run that submit created', async () => {
    await slowSubmit('cancel-submit');
    const runsBefore = await runsCreated(emulator);
    const handle = await env.client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: `dbrun-cancel-submit-${Date.now()}`,
      args: [
        {
          submit: {
            run_name: 'cancel-submit',
            tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
          },
          wait: FAST_POLL,
        },
      ],
    });
    await waitFor(
      async () => (await handle.query('status')) as { phase: string },
      (s) => s.phase === 'submitting',
    );
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const runs = await emulator.api<{ runs?: Array<{ run_id: number; run_name: string }> }>(
      'GET',
      '/api/2.2/jobs/runs/list?limit=25',
    );
    const created = (runs.body.runs ?? []).filter((r) => r.run_name === 'cancel-submit');
    expect(created).toHaveLength(1);
    expect((await getRun(emulator, created[0]!.run_id)).state.result_state).toBe('CANCELED');
    expect((await runsCreated(emulator)) - runsBefore).toBe(1);
  });

  test.each([
    [{ jobId: 1, jobName: 'x' }, 'jobName: expected exactly one of jobId, jobName or submit'],
    [{}, 'jobId: expected exactly one of jobId, jobName or submit (none given)'],
    [{ jobId: 1, timeout: '-1s' }, 'timeout:'],
    [{ jobId: 'one' }, 'jobId:'],
  ])(
    'bad input %j sent straight to the workflow fails non-retryably, creating nothing',
    async (input, message) => {
      const { type, message: text } = await failure(input as RunInput);
      expect(type).toBe('InvalidRunInput');
      expect(text).toContain(message);
      expect(await runsCreated(emulator)).toBe(0);
    },
  );

  test("a one-time run carries Databricks' own timeout_seconds from the workflow deadline (the user's when shorter)", async () => {
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'deadline-backstop' },
      durationMs: 200,
    });
    const spec = (timeout_seconds?: number) => ({
      run_name: 'deadline-backstop',
      ...(timeout_seconds !== undefined ? { timeout_seconds } : {}),
      tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
    });
    const withDeadline = await execute({ submit: spec(), wait: FAST_POLL, timeout: '1h' });
    const shorter = await execute({ submit: spec(120), wait: FAST_POLL, timeout: '1h' });
    const none = await execute({ submit: spec(), wait: FAST_POLL });
    const timeoutOf = async (runId: string) =>
      (await emulator.control<{ timeout_seconds: number }>('GET', `/runs/${runId}`)).timeout_seconds;
    // One hour left, plus the 5-minute margin, less what the workflow had already spent.
    expect(await timeoutOf(withDeadline.runId)).toBeGreaterThan(3600 + 300 - 60);
    expect(await timeoutOf(withDeadline.runId)).toBeLessThanOrEqual(3600 + 300);
    expect(await timeoutOf(shorter.runId)).toBe(120);
    expect(await timeoutOf(none.runId)).toBe(0);
  });

  test('a non-retryable failure after submission cancels the run before the workflow fails', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'denied' }, durationMs: 120_000 });
    // The principal loses access to the run after submitting it: runs/get answers 403 once.
    await emulator.control('POST', '/faults', {
      method: 'GET',
      path: '/jobs/runs/get',
      status: 403,
      errorCode: 'PERMISSION_DENIED',
      message: 'User does not have Can View permission on run',
      count: 1,
    });
    const { type, result, message } = await failure({
      submit: { run_name: 'denied', tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
      wait: FAST_POLL,
    });
    expect(type).toBe('DatabricksRunInterrupted');
    expect(message).toContain('PERMISSION_DENIED');
    expect(message).toContain(`the Databricks run ${result!.runId} was cancelled`);
    expect(result).toMatchObject({ outcome: 'CANCELED', succeeded: false });
    expect((await getRun(emulator, result!.runId)).state.result_state).toBe('CANCELED');
  });

  test('a missing job fails fast with the Databricks message and creates nothing', async () => {
    const error = await execute({ jobId: 987654321, wait: FAST_POLL }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (error as WorkflowFailedError).cause as Error & { cause?: Error };
    expect(String(activityFailure.cause?.message)).toMatch(/Job 987654321 does not exist/);
    expect(await runsCreated(emulator)).toBe(0);
  });
});

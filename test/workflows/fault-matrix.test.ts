/**
 * No Databricks run left unattended: for every way a databricksRun (or the pipeline above it) can
 * end, its Databricks run must not be running within the reaper's period afterwards — except with
 * onCancel "detach", whose run goes on and is never reaped. The ends:
 *   cancel · terminate · the starter's execution timeout · the workflow's own deadline (also through
 *   a workspace outage that outlasts it) · a non-retryable error at each activity after submission
 *   (poll, webhook confirmation, heartbeat wait, repair) · the parent pipeline terminated · detach.
 * What workflow code can see, it handles itself (run/endings.ts); the rest is the orphan reaper's,
 * whose Schedule runs here every 2 seconds. Real dev server, real worker, the emulator over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import { installReaperSchedule } from '../../src/reaper/schedule.js';
import type { PipelineDefinition } from '../../src/shared/pipeline-definition.js';
import type { RunInput } from '../../src/shared/run-input.js';
import { databricksRun, mlPipeline, statusQuery } from '../../src/workflows/index.js';
import { waitFor } from '../emulator/helpers.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const REAPER_PERIOD_MS = 2_000;
const LONG_RUN_MS = 30 * 60_000;
const FAST_POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };
const PASSWORD = 'fault-matrix-webhook-password-0123';

describe('every end of a databricksRun leaves no Databricks run running', () => {
  let harness: WorkspaceHarness;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({
      name: 'fault-matrix',
      receiver: { username: 'databricks', password: PASSWORD, lookupTimeoutMs: 9_000 },
    });
    await installReaperSchedule(harness.env.client, {
      taskQueue: harness.taskQueue,
      interval: REAPER_PERIOD_MS,
    });
  });
  afterAll(async () => {
    await installReaperSchedule(harness.env.client, { taskQueue: harness.taskQueue, interval: 'off' }).catch(
      () => undefined,
    );
    await harness?.close();
  });

  /** A run that lasts LONG_RUN_MS unless something ends it, and a scenario rule that says so. */
  async function longRun(
    name: string,
    extra: Partial<RunInput> = {},
    durationMs = LONG_RUN_MS,
  ): Promise<RunInput> {
    const runName = `${name}-${randomUUID().slice(0, 8)}`;
    await harness.emulator.control('POST', '/scenarios', { match: { runName }, durationMs });
    return {
      submit: { run_name: runName, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
      wait: FAST_POLL,
      ...extra,
    };
  }

  function start(input: RunInput, options: { workflowExecutionTimeout?: string } = {}) {
    return harness.env.client.workflow.start(databricksRun, {
      taskQueue: harness.taskQueue,
      workflowId: `matrix-${randomUUID().slice(0, 8)}`,
      args: [input],
      ...options,
    });
  }

  /** The workflow's Databricks run id once it is waiting for the run. */
  async function runIdOf(handle: WorkflowHandle<typeof databricksRun>): Promise<string> {
    const view = await waitFor(
      () => handle.query(statusQuery).catch(() => undefined),
      (v) => v?.phase === 'waiting' && v.runId !== undefined,
      { timeoutMs: 30_000, intervalMs: 100, what: `${handle.workflowId} to wait for its run` },
    );
    return view!.runId!;
  }

  const isActive = async (runId: string) =>
    !(await harness.emulator.control<{ terminal: boolean }>('GET', `/runs/${runId}`)).terminal;

  /** The run has ended within a few reaper periods (the assertion the matrix makes for every end). */
  async function expectEndedSoon(runId: string): Promise<void> {
    await waitFor(
      () => isActive(runId),
      (active) => !active,
      {
        timeoutMs: 5 * REAPER_PERIOD_MS + 20_000,
        intervalMs: 250,
        what: `Databricks run ${runId} to end`,
      },
    );
  }

  /** An injected answer for the next matching request(s), e.g. a 403 that is not worth retrying. */
  async function fault(method: string, path: string, status: number, count = 1, errorCode?: string) {
    await harness.emulator.control('POST', '/faults', {
      method,
      path,
      status,
      count,
      ...(errorCode ? { errorCode } : {}),
    });
  }

  test('cancel: the workflow cancels its run', async () => {
    const handle = await start(await longRun('cancel'));
    const runId = await runIdOf(handle);
    await handle.cancel();
    await handle.result().catch(() => undefined);
    await expectEndedSoon(runId);
  });

  test('terminate: no workflow code runs; the reaper cancels the run', async () => {
    const handle = await start(await longRun('terminate'));
    const runId = await runIdOf(handle);
    await handle.terminate('fault matrix');
    await expectEndedSoon(runId);
  });

  test("the starter's execution timeout: the reaper cancels the run", async () => {
    const handle = await start(await longRun('exec-timeout'), { workflowExecutionTimeout: '6s' });
    const runId = await runIdOf(handle);
    await handle.result().catch(() => undefined);
    await expectEndedSoon(runId);
  });

  test("the workflow's own deadline cancels its run", async () => {
    const handle = await start(await longRun('deadline', { timeout: '3s' }));
    const runId = await runIdOf(handle);
    await handle.result().catch(() => undefined);
    await expectEndedSoon(runId);
  });

  test('a workspace outage that outlasts the deadline: the wait is not cut short by an activity cap, the deadline cancels the run', async () => {
    const handle = await start(await longRun('outage', { timeout: '4s' }));
    const runId = await runIdOf(handle);
    // Each look retries a 503 inside the client (with back-off) before the activity retries.
    await fault('GET', '/jobs/runs/get', 503, 10);
    await handle.result().catch(() => undefined);
    await expectEndedSoon(runId);
  }, 120_000);

  test.each([
    ['poll: runs/get refused (403)', FAST_POLL, 'GET', '/jobs/runs/get'],
    [
      'heartbeat wait: runs/get refused (403)',
      { mode: 'heartbeat' as const, heartbeatPollInterval: '200ms' },
      'GET',
      '/jobs/runs/get',
    ],
  ])('a non-retryable error after submission — %s — cancels the run', async (_name, wait, method, path) => {
    const handle = await start(await longRun('refused', { wait }));
    const runId = await runIdOf(handle);
    await fault(method, path, 403, 1, 'PERMISSION_DENIED');
    await handle.result().catch(() => undefined);
    await expectEndedSoon(runId);
    expect((await handle.describe()).status.name).toBe('FAILED');
  });

  test('a non-retryable error confirming a webhook notification ends the workflow with no run left', async () => {
    // A short run: its notification arrives, and the runs/get that confirms it is refused.
    const input = await longRun(
      'webhook-refused',
      { wait: { mode: 'webhook', safetyNetInterval: '1h' } },
      1_500,
    );
    await fault('GET', '/jobs/runs/get', 403, 1, 'PERMISSION_DENIED');
    const handle = await start(input);
    await handle.result().catch(() => undefined);
    const runId = (await handle.describe()).searchAttributes.DatabricksRunId?.[0] as string;
    expect(runId).toBeDefined();
    await expectEndedSoon(runId);
  });

  test('a non-retryable error from runs/repair ends the workflow with no run left', async () => {
    const input = await longRun('repair-refused', { retry: { maxAttempts: 2, strategy: 'repair' } }, 300);
    await harness.emulator.control('POST', '/scenarios', {
      match: { runName: input.submit!.run_name },
      durationMs: 300,
      failTimes: 1,
      terminationCode: 'CLOUD_FAILURE',
    });
    await fault('POST', '/jobs/runs/repair', 400, 1, 'INVALID_PARAMETER_VALUE');
    const handle = await start(input);
    await handle.result().catch(() => undefined);
    expect((await handle.describe()).status.name).toBe('FAILED');
    const runId = (await handle.describe()).searchAttributes.DatabricksRunId?.[0] as string;
    await expectEndedSoon(runId);
  });

  test('the parent pipeline terminated: its train child is cancelled, and the child cancels its run', async () => {
    const train = await longRun('pipeline-train');
    const definition: PipelineDefinition = {
      name: `matrix-${randomUUID().slice(0, 6)}`,
      train,
      evaluate: { metric: 'auc', threshold: 0.5 },
      register: { model: 'main.ml.matrix' },
    };
    const pipeline = await harness.env.client.workflow.start(mlPipeline, {
      taskQueue: harness.taskQueue,
      workflowId: `matrix-pipeline-${randomUUID().slice(0, 8)}`,
      args: [definition],
    });
    const child = harness.env.client.workflow.getHandle<typeof databricksRun>(`${pipeline.workflowId}/train`);
    const runId = await waitFor(
      () => child.query(statusQuery).catch(() => undefined),
      (v) => v?.phase === 'waiting' && v.runId !== undefined,
      { timeoutMs: 30_000, intervalMs: 100, what: 'the train child to wait for its run' },
    ).then((v) => v!.runId!);
    await pipeline.terminate('fault matrix');
    await expectEndedSoon(runId);
  });

  test('detach: the cancelled workflow leaves its run going, and the reaper leaves it too', async () => {
    const handle = await start(await longRun('detach', { onCancel: 'detach' }));
    const runId = await runIdOf(handle);
    await handle.cancel();
    await handle.result().catch(() => undefined);
    // Several reaper periods pass; the run is still running.
    await new Promise((resolve) => setTimeout(resolve, 3 * REAPER_PERIOD_MS));
    expect(await isActive(runId)).toBe(true);
    await harness.emulator.api('POST', '/api/2.2/jobs/runs/cancel', { run_id: Number(runId) }); // tidy up
  });
});

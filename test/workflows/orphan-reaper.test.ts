/**
 * The orphan reaper end to end: a real dev server (its visibility store), a real worker, the emulator
 * over real HTTP. A databricksRun is left behind the ways no workflow code can see — terminated, timed
 * out by its starter's execution timeout — and a sweep must cancel its Databricks run; detached runs,
 * runs that ended, and dry runs must not be touched. The worker's Schedule is checked on a real worker
 * process (src/worker.ts), which must reap on its own.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { main } from '../../src/client/main.js';
import { installReaperSchedule } from '../../src/reaper/schedule.js';
import { reaperScheduleId, type ReapedRun, type ReaperReport } from '../../src/shared/reaper.js';
import type { RunInput } from '../../src/shared/run-input.js';
import type { RunResult } from '../../src/shared/run-types.js';
import { databricksRun, orphanReaper, statusQuery } from '../../src/workflows/index.js';
import { getRun, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { captureConsole, pointCliAtTestServer } from '../helpers/cli.js';
import { uniqueTaskQueue } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import {
  createWorkspaceWorker,
  requestCounts,
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '../helpers/workspace.js';

const FAST_POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };
/** Long enough that nothing but a cancel ends it while a test runs. */
const LONG_RUN_MS = 30 * 60_000;
const ACTIVE = new Set(['QUEUED', 'PENDING', 'RUNNING', 'BLOCKED', 'WAITING_FOR_RETRY']);

type RunHandle = WorkflowHandle<typeof databricksRun>;

describe('orphan reaper', () => {
  let harness: WorkspaceHarness;
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let taskQueue: string;
  const { out } = captureConsole();

  beforeAll(async () => {
    harness = await startWorkspaceHarness({ name: 'reaper' });
    ({ env, emulator, taskQueue } = harness);
  });
  afterAll(() => harness?.close());

  const cancelCount = async () => (await requestCounts(emulator))['POST /api/*/jobs/runs/cancel'] ?? 0;

  /** A databricksRun of a run that lasts LONG_RUN_MS, started on `queue`. */
  async function startLongRun(
    name: string,
    options: {
      queue?: string;
      detach?: boolean;
      workflowExecutionTimeout?: string;
      wait?: RunInput['wait'];
    } = {},
  ): Promise<RunHandle> {
    const runName = `${name}-${randomUUID().slice(0, 8)}`;
    await emulator.control('POST', '/scenarios', { match: { runName }, durationMs: LONG_RUN_MS });
    const input: RunInput = {
      submit: { run_name: runName, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
      wait: options.wait ?? FAST_POLL,
      ...(options.detach ? { onCancel: 'detach' as const } : {}),
    };
    return env.client.workflow.start(databricksRun, {
      taskQueue: options.queue ?? taskQueue,
      workflowId: `reaper-${runName}`,
      args: [input],
      ...(options.workflowExecutionTimeout
        ? { workflowExecutionTimeout: options.workflowExecutionTimeout }
        : {}),
    });
  }

  /** The run id, once the workflow waits for its run. */
  async function waiting(handle: RunHandle): Promise<string> {
    const view = await waitFor(
      () => handle.query(statusQuery).catch(() => undefined),
      (v) => v?.phase === 'waiting' && v.runId !== undefined,
      { timeoutMs: 30_000, intervalMs: 100, what: `${handle.workflowId} to wait for its run` },
    );
    return view!.runId!;
  }

  /** Visibility is eventually consistent: a sweep can only find what the store already lists as closed. */
  async function closedInVisibility(workflowId: string, status: string): Promise<void> {
    await waitFor(
      () => env.client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = '${status}'`),
      (n) => n.count === 1,
      { timeoutMs: 30_000, intervalMs: 200, what: `${workflowId} to be listed as ${status}` },
    );
  }

  function sweep(input: Parameters<typeof orphanReaper>[0] = {}, queue = taskQueue): Promise<ReaperReport> {
    return env.client.workflow.execute(orphanReaper, {
      taskQueue: queue,
      workflowId: `sweep-${randomUUID()}`,
      args: [input],
    });
  }

  const entriesOf = (report: ReaperReport, workflowId: string): ReapedRun[] =>
    [
      ...report.cancelled,
      ...report.wouldCancel,
      ...report.alreadyEnded,
      ...report.failed,
      ...report.skipped,
    ].filter((e) => e.workflowId === workflowId);

  async function lifeCycle(runId: string): Promise<string> {
    return ((await getRun(emulator, runId)) as { state: { life_cycle_state: string } }).state
      .life_cycle_state;
  }

  test('a terminated databricksRun: one sweep cancels its Databricks run, and the report says so', async () => {
    const handle = await startLongRun('terminated');
    const runId = await waiting(handle);
    await handle.terminate('test: no workflow code runs after this');
    await closedInVisibility(handle.workflowId, 'Terminated');
    expect(ACTIVE.has(await lifeCycle(runId))).toBe(true);

    const report = await sweep();
    expect(entriesOf(report, handle.workflowId)).toEqual([
      expect.objectContaining({
        action: 'cancelled',
        databricksRunId: runId,
        workflowStatus: 'TERMINATED',
        recordedState: 'SUBMITTED',
        runState: 'CANCELED',
      }),
    ]);
    const run = (await getRun(emulator, runId)) as {
      state: { life_cycle_state: string; result_state: string };
    };
    expect(run.state).toMatchObject({ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' });
    expect(report.nextSince).toBeDefined();

    // Settled: the next sweep may look again (visibility lag) but never cancels it twice.
    const cancels = await cancelCount();
    const again = await sweep();
    expect(again.cancelled.filter((e) => e.workflowId === handle.workflowId)).toEqual([]);
    expect(await cancelCount()).toBe(cancels);
  }, 120_000);

  test('a databricksRun stopped by the execution timeout its starter set is reaped', async () => {
    // Heartbeat mode, not poll: the server caps an activity's schedule-to-close at the run timeout (the
    // history shows 8 s for pollUntilTerminal), and a poll retry that would land past it fails the
    // activity at once — up to one back-off before the workflow's own timeout. The workflow then
    // cancels its run itself, as it should, and there is no orphan left to reap. One heartbeating
    // activity only times out t(scheduled) + 8 s, after the workflow has.
    const handle = await startLongRun('timed-out', {
      workflowExecutionTimeout: '8s',
      wait: { mode: 'heartbeat', heartbeatPollInterval: '200ms' },
    });
    const runId = await waiting(handle);
    await closedInVisibility(handle.workflowId, 'TimedOut');
    expect(ACTIVE.has(await lifeCycle(runId))).toBe(true);

    const report = await sweep();
    expect(entriesOf(report, handle.workflowId)).toEqual([
      expect.objectContaining({ action: 'cancelled', databricksRunId: runId, workflowStatus: 'TIMED_OUT' }),
    ]);
    expect(await lifeCycle(runId)).toBe('TERMINATED');
  }, 120_000);

  test('detached runs are never reaped: cancelled with onCancel "detach", or terminated', async () => {
    const cancelled = await startLongRun('detached-cancelled', { detach: true });
    const terminated = await startLongRun('detached-terminated', { detach: true });
    const cancelledRun = await waiting(cancelled);
    const terminatedRun = await waiting(terminated);
    await cancelled.cancel();
    expect(((await cancelled.result()) as RunResult).detached).toBe(true);
    await terminated.terminate('test');
    await closedInVisibility(cancelled.workflowId, 'Completed');
    await closedInVisibility(terminated.workflowId, 'Terminated');
    expect((await cancelled.describe()).searchAttributes.LakeloopDetached).toEqual([true]);

    const cancels = await cancelCount();
    const report = await sweep();
    for (const handle of [cancelled, terminated]) {
      expect(entriesOf(report, handle.workflowId)).toEqual([
        expect.objectContaining({ action: 'skipped', reason: expect.stringContaining('detach') }),
      ]);
    }
    expect(await cancelCount()).toBe(cancels);
    expect(ACTIVE.has(await lifeCycle(cancelledRun))).toBe(true);
    expect(ACTIVE.has(await lifeCycle(terminatedRun))).toBe(true);
    for (const runId of [cancelledRun, terminatedRun]) {
      await emulator.api('POST', '/api/2.2/jobs/runs/cancel', { run_id: Number(runId) });
    }
  }, 120_000);

  test('runs that ended are not touched: a completed and a cancelled workflow record a terminal state and are not listed', async () => {
    const runName = `ended-${randomUUID().slice(0, 8)}`;
    await emulator.control('POST', '/scenarios', { match: { runName }, durationMs: 200 });
    const ended = await env.client.workflow.execute(databricksRun, {
      taskQueue,
      workflowId: `reaper-${runName}`,
      args: [
        {
          submit: {
            run_name: runName,
            tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
          },
          wait: FAST_POLL,
        },
      ],
    });
    expect(ended.outcome).toBe('SUCCESS');
    // A cancelled (not detached) workflow cancels its run itself and records the final state.
    const cancelled = await startLongRun('cancelled');
    const cancelledRun = await waiting(cancelled);
    await cancelled.cancel();
    await cancelled.result().catch(() => undefined);
    expect(await lifeCycle(cancelledRun)).toBe('TERMINATED');
    await closedInVisibility(`reaper-${runName}`, 'Completed');
    await closedInVisibility(cancelled.workflowId, 'Canceled');
    const description = await env.client.workflow.getHandle(cancelled.workflowId).describe();
    expect(description.searchAttributes.DatabricksRunState).toEqual(['CANCELED']);

    const cancels = await cancelCount();
    const report = await sweep();
    expect(entriesOf(report, `reaper-${runName}`)).toEqual([]);
    expect(entriesOf(report, cancelled.workflowId)).toEqual([]);
    expect(await cancelCount()).toBe(cancels);
  }, 120_000);

  describe('lakeloop reap', () => {
    let restore: () => void;
    beforeAll(() => {
      restore = pointCliAtTestServer(taskQueue);
    });
    afterAll(() => restore());

    const lastJson = () => JSON.parse(out.at(-1)!) as { workflowId: string; report: ReaperReport };

    test('--dry-run reports the run it would cancel and cancels nothing; then reap --json cancels it', async () => {
      const handle = await startLongRun('dry-run');
      const runId = await waiting(handle);
      await handle.terminate('test');
      await closedInVisibility(handle.workflowId, 'Terminated');
      const cancels = await cancelCount();

      expect(await main(['reap', '--dry-run', '--json'])).toBe(0);
      const dry = lastJson().report;
      expect(dry.dryRun).toBe(true);
      expect(dry.nextSince).toBeUndefined();
      expect(entriesOf(dry, handle.workflowId)).toEqual([
        expect.objectContaining({ action: 'would-cancel', databricksRunId: runId }),
      ]);
      expect(dry.cancelled).toEqual([]);
      expect(await cancelCount()).toBe(cancels);
      expect(ACTIVE.has(await lifeCycle(runId))).toBe(true);

      // The dry run left the next sweep's start where it was: a real one still finds the run.
      expect(await main(['reap', '--json'])).toBe(0);
      const { report, workflowId } = lastJson();
      expect(entriesOf(report, handle.workflowId)).toEqual([
        expect.objectContaining({ action: 'cancelled', databricksRunId: runId, runState: 'CANCELED' }),
      ]);
      expect(await lifeCycle(runId)).toBe('TERMINATED');
      // The sweep is a workflow of its own, with the report as its recorded result.
      expect(await env.client.workflow.getHandle(workflowId).result()).toEqual(report);

      expect(await main(['reap'])).toBe(0);
      expect(out.join('\n')).toMatch(/orphan reaper · task queue reaper-\S+ · workflows closed/);
    }, 120_000);
  });

  test('a sweep looks at maxRunsPerSweep runs, oldest first, and the next sweep goes on from there', async () => {
    // A queue of its own, so no other test's workflows take the cap's places.
    const queue = uniqueTaskQueue('reaper-cap');
    const worker: Worker = await createWorkspaceWorker(env, queue, emulator);
    const running = worker.run();
    try {
      const handles: RunHandle[] = [];
      for (const name of ['cap-1', 'cap-2', 'cap-3']) {
        const handle = await startLongRun(name, { queue });
        await waiting(handle);
        await handle.terminate('test');
        await closedInVisibility(handle.workflowId, 'Terminated');
        handles.push(handle);
      }
      const ids = handles.map((h) => h.workflowId);

      const first = await sweep({ maxRunsPerSweep: 1 }, queue);
      expect(first.found).toBe(3);
      expect(first.cancelled.map((e) => e.workflowId)).toEqual([ids[0]]);
      expect(first.deferred).toBe(2);
      const second = await sweep({ maxRunsPerSweep: 1 }, queue);
      expect(second.cancelled.map((e) => e.workflowId)).toEqual([ids[1]]);
      expect(Date.parse(second.window.since)).toBe(Date.parse(first.nextSince!));
      const third = await sweep({ maxRunsPerSweep: 5 }, queue);
      expect(third.cancelled.map((e) => e.workflowId)).toEqual([ids[2]]);
    } finally {
      worker.shutdown();
      await running;
    }
  }, 180_000);

  test('the worker installs its Schedule at start, and the Schedule reaps on its own', async () => {
    const queue = uniqueTaskQueue('reaper-process');
    const scheduleId = reaperScheduleId(queue);
    let worker: WorkerProcess | undefined;
    try {
      worker = await startWorkerProcess(emulator, queue, { LAKELOOP_REAPER_INTERVAL: '2s' });
      const described = await env.client.schedule.getHandle(scheduleId).describe();
      expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 2_000 })]);
      expect(described.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'orphanReaper',
        taskQueue: queue,
      });
      expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
      expect(described.state.paused).toBe(false);

      const handle = await startLongRun('scheduled', { queue });
      const runId = await waiting(handle);
      await handle.terminate('test');
      await waitFor(
        () => lifeCycle(runId),
        (s) => s === 'TERMINATED',
        {
          timeoutMs: 60_000,
          intervalMs: 500,
          what: `the Schedule's sweep to cancel run ${runId}`,
        },
      );
      expect(
        ((await getRun(emulator, runId)) as { state: { result_state: string } }).state.result_state,
      ).toBe('CANCELED');
      // …and the sweep that did it says so in its result (it completes once it saw the run end).
      const cancelledBySweeps = async () => {
        const reports: ReaperReport[] = [];
        for await (const sweepRun of env.client.workflow.list({
          query: `WorkflowType = 'orphanReaper' AND TaskQueue = '${queue}' AND ExecutionStatus = 'Completed'`,
        })) {
          reports.push(await env.client.workflow.getHandle(sweepRun.workflowId, sweepRun.runId).result());
        }
        return reports.flatMap((r) => r.cancelled).map((e) => [e.workflowId, e.databricksRunId]);
      };
      const cancelled = await waitFor(cancelledBySweeps, (pairs) => pairs.length > 0, {
        timeoutMs: 30_000,
        intervalMs: 500,
        what: 'a completed sweep to report the cancellation',
      });
      expect(cancelled).toEqual([[handle.workflowId, runId]]);
    } finally {
      worker?.child.kill('SIGTERM');
      await env.client.schedule
        .getHandle(scheduleId)
        .delete()
        .catch(() => undefined);
    }
  }, 180_000);

  test('installing the Schedule is idempotent, keeps a pause, and "off" removes it', async () => {
    const queue = uniqueTaskQueue('reaper-install');
    const handle = env.client.schedule.getHandle(reaperScheduleId(queue));
    try {
      expect(await installReaperSchedule(env.client, { taskQueue: queue, interval: 300_000 })).toBe(
        'created',
      );
      expect(await installReaperSchedule(env.client, { taskQueue: queue, interval: 300_000 })).toBe(
        'unchanged',
      );
      await handle.pause('paused by an operator');
      expect(await installReaperSchedule(env.client, { taskQueue: queue, interval: 60_000 })).toBe('updated');
      const described = await handle.describe();
      expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 60_000 })]);
      expect(described.state).toMatchObject({ paused: true, note: 'paused by an operator' });
      expect(await installReaperSchedule(env.client, { taskQueue: queue, interval: 'off' })).toBe('deleted');
      await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
      expect(await installReaperSchedule(env.client, { taskQueue: queue, interval: 'off' })).toBe('absent');
    } finally {
      await handle.delete().catch(() => undefined);
    }
  });
});

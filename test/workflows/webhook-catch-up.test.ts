/**
 * The catch-up's two halves against the real dev server and emulator: a webhook-mode run shows its
 * wait in visibility (LakeloopNotificationWaitSince) and only while it waits; the catch-up
 * (src/webhooks/catch-up.ts) finds it by that attribute and asks it to look now; a look at a run still
 * going changes nothing, a look at a run that ended (its notification lost) ends the wait at once —
 * with a safety net of an hour — and the run says "caught up after receiver restart" in its result,
 * its current details (the Web UI) and the CLI's status text.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { formatStatus } from '../../src/client/status-text.js';
import type { RunInput } from '../../src/shared/run-input.js';
import { LakeloopNotificationWaitSince } from '../../src/shared/search-attributes.js';
import { catchUpWaitingRuns } from '../../src/webhooks/catch-up.js';
import { databricksRun, type RunStatusView } from '../../src/workflows/index.js';
import { waitFor, waitForTerminal, type TestEmulator } from '../emulator/helpers.js';
import { requestCounts, startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const PASSWORD = `catch-up-secret-${Math.random().toString(36).slice(2)}`;

function spec(runName: string, wait: RunInput['wait']): RunInput {
  return {
    submit: { run_name: runName, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
    wait,
  };
}

describe('catch-up after a receiver outage', () => {
  let harness: WorkspaceHarness;
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let taskQueue: string;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({
      name: 'catch-up',
      receiver: { username: 'databricks', password: PASSWORD },
    });
    ({ env, emulator, taskQueue } = harness);
  });
  afterAll(() => harness?.close());

  const runsGets = async () => (await requestCounts(emulator))['GET /api/*/jobs/runs/get'] ?? 0;
  const catchUp = () =>
    catchUpWaitingRuns({ client: env.client, taskQueue, receiverUpAt: new Date(), ratePerSecond: 20 });

  test('a run whose notification was lost is found by the catch-up, not after its hour-long safety net', async () => {
    // Every notification is lost, as while no receiver listens.
    await emulator.control('POST', '/faults', { webhook: 'drop' });
    await emulator.control('POST', '/scenarios', { match: { runName: 'lost' }, durationMs: 4_000 });
    const handle = await env.client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: `catch-up-${Math.random().toString(36).slice(2)}`,
      args: [spec('lost', { mode: 'webhook', safetyNetInterval: '1h' })],
    });
    // Visible as waiting for a notification (the catch-up's query), with the time the wait began.
    const since = await waitFor(
      async () => (await handle.describe()).typedSearchAttributes.get(LakeloopNotificationWaitSince),
      (value) => value instanceof Date,
      { timeoutMs: 20_000, intervalMs: 200, what: 'LakeloopNotificationWaitSince to be set' },
    );
    const view = await handle.query<RunStatusView>('status');
    expect(view).toMatchObject({ phase: 'waiting', waitMode: 'webhook' });
    expect(new Date(view.notificationWaitSince!).getTime()).toBe(since!.getTime());

    // A catch-up while the run is still going: one look, and the wait goes on.
    const getsBefore = await runsGets();
    const early = await waitFor(catchUp, (r) => r.found === 1, {
      timeoutMs: 10_000,
      intervalMs: 250,
      what: 'visibility to list the waiting run',
    });
    expect(early).toMatchObject({ found: 1, signalled: 1, closed: 0 });
    await waitFor(runsGets, (n) => n > getsBefore, { timeoutMs: 10_000, what: 'the look (runs/get)' });
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // The run ends; its notification is lost. The next catch-up ends the wait.
    await waitForTerminal(emulator, view.runId!, 20_000);
    expect((await catchUp()).signalled).toBe(1);
    const result = await handle.result();
    expect(result).toMatchObject({
      outcome: 'SUCCESS',
      waitMode: 'webhook',
      caughtUp: { reason: 'receiver restart' },
    });
    expect(result.caughtUp?.receiverUpAt).toEqual(expect.any(String));
    // The Web UI's current details (what its Details pane renders) say it too.
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('**Caught up** after receiver restart');
    const closed = await handle.describe();
    // The wait's attribute is removed once it is over.
    expect(closed.typedSearchAttributes.get(LakeloopNotificationWaitSince)).toBeUndefined();
    const text = formatStatus({
      workflowId: handle.workflowId,
      kind: 'run',
      workflowType: 'databricksRun',
      state: 'SUCCEEDED',
      temporalStatus: 'COMPLETED',
      started: closed.startTime.toISOString(),
      caughtUp: result.caughtUp,
    });
    expect(text).toMatch(/caught up\s+after receiver restart: the run's end notification was missed/);
    await emulator.control('DELETE', '/faults');
  }, 90_000);

  test('the catch-up is paced: at 4 a second, 6 waiting runs take at least 1.25 s to ask', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'paced' }, durationMs: 60_000 });
    const handles = await Promise.all(
      Array.from({ length: 6 }, () =>
        env.client.workflow.start(databricksRun, {
          taskQueue,
          workflowId: `catch-up-paced-${Math.random().toString(36).slice(2)}`,
          args: [spec('paced', { mode: 'webhook', safetyNetInterval: '1h' })],
        }),
      ),
    );
    const paced = () =>
      catchUpWaitingRuns({ client: env.client, taskQueue, receiverUpAt: new Date(), ratePerSecond: 4 });
    // Once visibility lists all six (earlier attempts ask fewer; asking twice is harmless).
    const report = await waitFor(paced, (r) => r.signalled === 6, {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'the catch-up to ask all six runs',
    });
    // A lower bound only: the spacing between signals (250 ms) makes it; a slow machine adds to it.
    expect(report.took).toBeGreaterThanOrEqual(1_250);
    for (const handle of handles) await handle.cancel();
    await Promise.all(handles.map((h) => h.result().catch(() => undefined)));
  }, 90_000);

  test('runs in poll mode are never listed, and a catch-up with nothing waiting signals nothing', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'polled' }, durationMs: 2_000 });
    const handle = await env.client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: `catch-up-poll-${Math.random().toString(36).slice(2)}`,
      args: [spec('polled', { mode: 'poll', pollInterval: '500ms' })],
    });
    await waitFor(
      async () => (await handle.query<RunStatusView>('status')).phase,
      (phase) => phase === 'waiting',
      { timeoutMs: 20_000, intervalMs: 200, what: 'the poll wait' },
    );
    expect(
      (await handle.describe()).typedSearchAttributes.get(LakeloopNotificationWaitSince),
    ).toBeUndefined();
    expect(await catchUp()).toMatchObject({ found: 0, signalled: 0 });
    expect((await handle.result()).caughtUp).toBeUndefined();
  }, 60_000);
});

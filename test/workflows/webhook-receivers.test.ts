/**
 * The receivers' heartbeats (src/workflows/webhook-receivers.ts, src/webhooks/liveness.ts) on the
 * real dev server: a receiver that stops says so, and the next one catches up on exactly the gap
 * since; with another receiver listening, a new one has no gap to catch up on; the registry keeps its
 * records across continue-as-new.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { startCatchingUp, type CatchingUp } from '../../src/webhooks/catch-up.js';
import {
  receiverHeartbeatSignal,
  receiversQuery,
  webhookReceivers,
  webhookReceiversWorkflowId,
} from '../../src/workflows/index.js';
import { waitFor } from '../emulator/helpers.js';
import { connectToTestServer, createTestWorker, uniqueTaskQueue } from '../helpers/temporal.js';

describe('webhook receivers’ liveness', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('receivers');
  const started: CatchingUp[] = [];

  beforeAll(async () => {
    env = await connectToTestServer();
    worker = await createTestWorker(env, taskQueue);
    running = worker.run();
  });
  afterAll(async () => {
    for (const c of started) await c.stop();
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  const receiver = () => {
    const c = startCatchingUp({ client: env.client, taskQueue, ratePerSecond: 50, heartbeatMs: 1_000 });
    started.push(c);
    return c;
  };
  const firstReport = (c: CatchingUp) =>
    waitFor(
      async () => c.reports(),
      (r) => r.length > 0,
      { timeoutMs: 20_000, intervalMs: 100, what: 'the receiver’s first catch-up' },
    ).then((r) => r[0]!);

  test('a stopped receiver’s last word starts the gap the next one catches up on', async () => {
    const first = receiver();
    // The very first receiver knows of nobody before it: a gap of unknown start.
    expect((await firstReport(first)).gap.downSince).toBeUndefined();
    await first.stop();
    const stoppedAt = Date.now();
    const second = receiver();
    const { gap } = await firstReport(second);
    expect(gap.downSince).toBeInstanceOf(Date);
    // Its last heartbeat was sent as it stopped.
    expect(Math.abs(gap.downSince!.getTime() - stoppedAt)).toBeLessThan(1_000);
    expect(gap.upAt.getTime()).toBeGreaterThanOrEqual(gap.downSince!.getTime());
  }, 60_000);

  test('with another receiver listening, a new one has no gap to catch up on', async () => {
    // The second receiver of the previous test still listens.
    const third = receiver();
    // It waits a heartbeat and a half for the others to prove alive, then decides: no catch-up.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(third.reports()).toEqual([]);
  }, 30_000);

  test('the registry keeps its records across continue-as-new', async () => {
    const id = `${webhookReceiversWorkflowId(taskQueue)}-can`;
    const send = (i: number) =>
      env.client.workflow.signalWithStart(webhookReceivers, {
        workflowId: id,
        taskQueue,
        args: [{}],
        signal: receiverHeartbeatSignal,
        signalArgs: [
          { receiverId: `r${i % 3}`, since: new Date(0).toISOString(), at: new Date().toISOString() },
        ],
      });
    const handle = env.client.workflow.getHandle(id);
    const firstRun = (await send(0)).signaledRunId;
    // Heartbeats until the history passes the 2,000-event limit. How many that takes depends on how
    // many signals each workflow task takes in (a busy worker batches more: fewer task events), so send
    // in rounds and stop once the registry has continued as new (each signal is an event: 2,200 pass it).
    let sent = 1;
    let runId = firstRun;
    while (runId === firstRun && sent < 2_200) {
      for (const end = sent + 200; sent < end; sent++) await send(sent);
      runId = (await handle.describe()).runId;
    }
    await waitFor(
      async () => (await handle.describe()).runId,
      (current) => current !== firstRun,
      { timeoutMs: 30_000, intervalMs: 200, what: 'the registry to continue as new' },
    );
    const records = await handle.query(receiversQuery);
    expect(Object.keys(records).sort()).toEqual(['r0', 'r1', 'r2']);
    await handle.terminate('test done');
  }, 180_000);
});

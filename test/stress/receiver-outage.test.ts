/**
 * Issue #21's operator scenario with the real pieces: worker processes whose webhook receiver lives
 * inside them (LAKELOOP_WEBHOOK_PORT, one fixed port, as behind one URL), the emulator's notification
 * sender (bounded retries: Databricks documents no delivery retry policy), and webhook-mode runs with
 * the default 5-minute safety net.
 *
 *   20 one-time runs of a 12-second job (longer on a machine slow to start a worker, so that the
 *   outage surely covers the jobs' end) → 2 s after they were submitted the worker is stopped (SIGTERM)
 *   → a new worker starts and is SIGKILLed 6 s later (or just before the jobs end, on a machine slow
 *   to start it) → a third worker starts once the sender is done with the jobs' ends.
 *
 * The jobs end while nobody listens, so their notifications are given up on by the sender. Without a
 * catch-up those workflows wait for their safety net (5 minutes); with it, the third worker's receiver
 * finds them (visibility: LakeloopNotificationWaitSince) and asks each to look now. Asserted: every
 * workflow finishes within 60 s of the last worker start, with exactly 20 Databricks runs, and the
 * caught-up ones say so in their status.
 *
 * In the serial pass (jest.stress.config.js): it kills workers and its bound is about latency.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../scripts/lib/processes.js';
import type { RunStatusView } from '../../src/workflows/databricks-run.js';
import { databricksRun } from '../../src/workflows/index.js';
import { startTestEmulator, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { recordTestSecret } from '../helpers/secrets-ledger.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { runsCreated } from '../helpers/workspace.js';

const RUNS = 20;
const JOB_MS = 12_000;
const USER = 'databricks';

interface Delivery {
  eventType: string;
  outcome: 'sent' | 'failed' | 'dropped';
}

describe('a worker that comes back catches up at once', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  const taskQueue = uniqueTaskQueue('outage');
  const workers: WorkerProcess[] = [];
  const password = randomBytes(18).toString('base64url');
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    recordTestSecret('the receiver-outage webhook password', password);
    env = await connectToTestServer();
    emulator = await startTestEmulator();
    // One port for every worker's receiver: the destination's URL, as a load balancer's would be.
    const port = await freePort();
    const created = await emulator.api<{ id: string }>('POST', '/api/2.0/notification-destinations', {
      display_name: 'lakeloop-outage',
      config: {
        generic_webhook: {
          url: `http://127.0.0.1:${port}/databricks/notifications`,
          username: USER,
          password,
        },
      },
    });
    expect(created.status).toBe(200);
    workerEnv = {
      LAKELOOP_WEBHOOK_PORT: String(port),
      LAKELOOP_WEBHOOK_PASSWORD: password,
      LAKELOOP_WEBHOOK_USERNAME: USER,
      LAKELOOP_WEBHOOK_DESTINATION_ID: created.body.id,
      LAKELOOP_SHUTDOWN_GRACE_SECONDS: '5',
    };
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await emulator?.close();
    await env?.teardown();
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess(emulator, taskQueue, workerEnv);
    workers.push(worker);
    return worker;
  };
  const stop = async (worker: WorkerProcess, signal: NodeJS.Signals) => {
    const exited = new Promise((resolve) => worker.child.once('exit', resolve));
    worker.child.kill(signal);
    await exited;
  };

  test('20 runs, two worker kills around the jobs’ end: 20/20 within 60 s of the last worker start', async () => {
    const startingFirst = Date.now();
    const first = await startWorker();
    // 12 s, or longer on a machine that takes long to start a worker: the second worker must be up
    // and killed before the jobs end (SIGTERM at 2 s + its start + a margin), or it would receive
    // their notifications and there would be nothing to catch up on.
    const jobMs = Math.max(JOB_MS, 2 * (Date.now() - startingFirst) + 5_000);
    await emulator.control('POST', '/scenarios', { match: { runName: 'outage' }, durationMs: jobMs });
    const handles = await Promise.all(
      Array.from({ length: RUNS }, (_, i) =>
        env.client.workflow.start(databricksRun, {
          taskQueue,
          workflowId: `outage-${taskQueue}-${i}`,
          args: [
            {
              submit: {
                run_name: 'outage',
                tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
              },
              // The default safety net (5 minutes): the bound below is a fifth of it.
              wait: { mode: 'webhook' },
            },
          ],
        }),
      ),
    );
    await waitFor(
      () => runsCreated(emulator),
      (n) => n === RUNS,
      { timeoutMs: 30_000, intervalMs: 100, what: `${RUNS} runs to be submitted` },
    );
    const submittedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await stop(first, 'SIGTERM');
    const second = await startWorker();
    // Killed 6 s later, or just before the jobs end if that comes first: on a machine where a worker
    // takes long to start, the kill would otherwise come after the ends, which it delivered.
    const endsAt = submittedAt + jobMs;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, Math.min(6_000, endsAt - 1_000 - Date.now()))),
    );
    await stop(second, 'SIGKILL');
    const secondKilledMs = Date.now() - submittedAt;

    // Nobody listens now. Start the third worker once the sender has finished with every run's end
    // (delivered to the second worker before it died, or given up on): the outage then surely
    // covers the jobs' end, however fast or slow this machine started the second worker.
    const deliveries = await waitFor(
      async () => (await emulator.control<{ deliveries: Delivery[] }>('GET', '/webhooks')).deliveries,
      (list) => list.filter((d) => d.eventType !== 'jobs.on_start' && d.outcome !== 'dropped').length >= RUNS,
      { timeoutMs: 120_000, intervalMs: 250, what: 'every run to end and its notification to settle' },
    );
    const ends = deliveries.filter((d) => d.eventType !== 'jobs.on_start');
    const lost = ends.filter((d) => d.outcome === 'failed').length;
    const third = await startWorker();
    const lastStart = Date.now();

    const finished: number[] = [];
    const results = await Promise.all(
      handles.map(async (handle) => {
        const result = await handle.result();
        finished.push(Date.now() - lastStart);
        return { handle, result };
      }),
    );
    const worst = Math.max(...finished);
    const caughtUp: string[] = [];
    for (const { handle } of results) {
      const view = await handle.query<RunStatusView>('status');
      if (view.caughtUp) caughtUp.push(handle.workflowId);
    }
    console.log(
      `receiver outage: ${jobMs / 1000} s jobs; second worker killed ${(secondKilledMs / 1000).toFixed(1)} s after submission; ` +
        `${lost} of ${ends.length} end notifications given up on by the sender; ` +
        `${results.length}/${RUNS} finished, the last ${(worst / 1000).toFixed(1)} s after the last worker start; ` +
        `${caughtUp.length} caught up after the receiver restart; Databricks runs ${await runsCreated(emulator)}`,
    );

    expect(results.map((r) => r.result.outcome)).toEqual(Array(RUNS).fill('SUCCESS'));
    expect(worst).toBeLessThanOrEqual(60_000);
    expect(await runsCreated(emulator)).toBe(RUNS);
    // Each lost notification's workflow was found by the catch-up and says so.
    // The outage covered the jobs' end (else this test proves nothing), and each workflow whose
    // notification was lost was found by the catch-up and says so.
    expect(lost).toBeGreaterThan(0);
    expect(caughtUp.length).toBeGreaterThanOrEqual(lost);
    third.child.kill('SIGTERM');
  }, 480_000);
});

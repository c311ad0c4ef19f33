/**
 * Chaos for the webhook receivers: runs whose jobs end while nobody listens. Two receiver replicas
 * behind one URL (test/helpers/receiver-pool.ts: the real receiver, catch-up and liveness in each),
 * a worker process without a receiver of its own (the standalone layout), and webhook-mode runs with
 * the default 5-minute safety net, whose jobs end one after another over ~30 s while:
 *
 *   - a replica is removed (the other keeps listening: nothing may be lost or late);
 *   - the last replica goes too, and a new one starts 8 s later (an outage longer than the sender's
 *     retries: the jobs that end meanwhile lose their notifications; the new replica catches up);
 *   - the worker is SIGKILLed as jobs end and restarted 3 s later (signals wait in Temporal);
 *   - the receiver is restarted at once (stop, start: a short gap, caught up too).
 *
 * Asserted: every run succeeds with exactly one Databricks run, and the detection latency (from the
 * run's end in the emulator to its workflow's close) of the runs that ended while no receiver
 * listened has a p99 of at most 30 s — the safety net alone would make it up to 5 minutes. The
 * report prints the latencies by window.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { databricksRun } from '../../src/workflows/index.js';
import { startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { percentile, table } from '../helpers/chaos-report.js';
import { startReceiverPool, type ReceiverPool } from '../helpers/receiver-pool.js';
import { recordTestSecret } from '../helpers/secrets-ledger.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { runsCreated } from '../helpers/workspace.js';

const RUNS = 24;
/** Job durations (ms) cycled over the runs, which start 1 s apart in groups of 8: ends over 6–33 s. */
const DURATIONS = [6_000, 10_000, 14_000, 18_000, 22_000, 26_000];
const USER = 'databricks';
const P99_BOUND_MS = 30_000;

interface Window {
  what: string;
  from: number;
  to?: number;
}

describe('chaos: receiver-down windows', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let pool: ReceiverPool;
  const taskQueue = uniqueTaskQueue('chaos-receivers');
  const password = randomBytes(18).toString('base64url');
  const workers: WorkerProcess[] = [];
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    recordTestSecret('the receiver chaos webhook password', password);
    env = await connectToTestServer();
    emulator = await startTestEmulator();
    pool = await startReceiverPool({
      temporalAddress: process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS!,
      taskQueue,
      username: USER,
      password,
      heartbeatMs: 5_000,
      catchUpRate: 10,
    });
    const created = await emulator.api<{ id: string }>('POST', '/api/2.0/notification-destinations', {
      display_name: 'lakeloop-chaos-receivers',
      config: { generic_webhook: { url: pool.url, username: USER, password } },
    });
    expect(created.status).toBe(200);
    workerEnv = { LAKELOOP_WEBHOOK_DESTINATION_ID: created.body.id };
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await pool?.close();
    await emulator?.close();
    await env?.teardown();
  });

  test('runs that end while no receiver listens are detected within 30 s (p99), with the safety net at 5 min', async () => {
    await pool.add('A');
    await pool.add('B');
    workers.push(await startWorkerProcess(emulator, taskQueue, workerEnv));
    for (let i = 0; i < RUNS; i++) {
      const name = `chaos-receivers-${i}`;
      await emulator.control('POST', '/scenarios', {
        match: { runName: name },
        durationMs: DURATIONS[i % DURATIONS.length],
      });
    }

    const t0 = Date.now();
    const at = (ms: number) =>
      new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + ms - Date.now())));
    const starts = Array.from({ length: RUNS }, async (_, i) => {
      await at((i % 8) * 1_000);
      return env.client.workflow.start(databricksRun, {
        taskQueue,
        workflowId: `${taskQueue}-${i}`,
        args: [
          {
            submit: {
              run_name: `chaos-receivers-${i}`,
              tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
            },
            wait: { mode: 'webhook' }, // the default 5-minute safety net
          },
        ],
      });
    });

    const receiverDown: Window[] = [];
    const workerDown: Window[] = [];
    const now = () => Date.now() - t0;
    await at(8_000);
    await pool.remove('B'); // a replica removed: A still listens
    await at(12_000);
    await pool.remove('A');
    const outage: Window = { what: 'every replica gone for 8 s', from: now() };
    receiverDown.push(outage);
    await at(20_000);
    await pool.add('C');
    outage.to = now();
    await at(24_000);
    const kill: Window = { what: 'worker SIGKILLed for 3 s', from: now() };
    workerDown.push(kill);
    workers[0]!.child.kill('SIGKILL');
    await at(27_000);
    workers.push(await startWorkerProcess(emulator, taskQueue, workerEnv));
    kill.to = now();
    await at(30_000);
    const restart: Window = { what: 'receiver restarted', from: now() };
    receiverDown.push(restart);
    await pool.remove('C');
    await pool.add('D');
    restart.to = now();

    const handles = await Promise.all(starts);
    const results = await Promise.all(handles.map((h) => h.result()));
    const runs = await Promise.all(
      results.map(async (result, i) => {
        const run = await emulator.control<{ ended_at_ms: number }>('GET', `/runs/${result.runId}`);
        const closed = (await handles[i]!.describe()).closeTime!.getTime();
        return {
          endedMs: run.ended_at_ms - t0,
          latencyMs: closed - run.ended_at_ms,
          caughtUp: !!result.caughtUp,
        };
      }),
    );
    // A notification is lost when the job ends in a window, or in the sender's last retries before it
    // (5 attempts over ~3 s); count the 3 s before each window in.
    const within = (w: Window, ms: number) => ms >= w.from - 3_000 && ms <= (w.to ?? Infinity);
    const group = (windows: Window[]) =>
      runs
        .filter((r) => windows.some((w) => within(w, r.endedMs)))
        .map((r) => r.latencyMs)
        .sort((a, b) => a - b);
    const all = runs.map((r) => r.latencyMs).sort((a, b) => a - b);
    const afterOutage = group(receiverDown);
    const afterKill = group(workerDown);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const figures = (l: number[]) =>
      l.length
        ? `${l.length} runs: p50 ${s(percentile(l, 50))} / p99 ${s(percentile(l, 99))} / max ${s(l[l.length - 1]!)}`
        : 'none';
    const catchUps = pool.catchUps();
    console.log(
      [
        table('chaos: receiver-down windows', [
          ...[...receiverDown, ...workerDown].map((w): [string, string] => [
            w.what,
            `${s(w.from)} → ${s(w.to ?? 0)}`,
          ]),
          [
            'catch-ups (replica: gap → waiting runs signalled)',
            catchUps
              .map(
                (c) =>
                  `${c.replica}: ${c.gap.downSince ? 'known gap' : 'gap of unknown start'} → ${c.signalled}`,
              )
              .join(', ') || 'none',
          ],
          ['runs caught up (their notification lost)', runs.filter((r) => r.caughtUp).length],
        ]),
        table('detection latency (run end → workflow closed)', [
          ['all runs', figures(all)],
          ['ended while no receiver listened', figures(afterOutage)],
          ['ended while the worker was down', figures(afterKill)],
        ]),
        table('outcomes', [
          ['workflows', `${results.filter((r) => r.outcome === 'SUCCESS').length}/${RUNS} succeeded`],
          ['Databricks runs created', await runsCreated(emulator)],
        ]),
      ].join('\n\n'),
    );

    expect(results.map((r) => r.outcome)).toEqual(Array(RUNS).fill('SUCCESS'));
    expect(await runsCreated(emulator)).toBe(RUNS);
    expect(afterOutage.length).toBeGreaterThan(0);
    expect(percentile(afterOutage, 99)).toBeLessThanOrEqual(P99_BOUND_MS);
    // A worker's outage delays what ended during it by the outage itself (and a sticky queue's
    // timeout), then the same bound.
    expect(percentile(afterKill, 99)).toBeLessThanOrEqual(kill.to! - kill.from + P99_BOUND_MS);
    // The new replica after the outage caught up on the runs waiting across it.
    expect(catchUps.some((c) => c.replica === 'C' && c.signalled > 0)).toBe(true);
  }, 240_000);
});

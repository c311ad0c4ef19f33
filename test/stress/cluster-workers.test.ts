/**
 * Issue #19: Lakeloop on a real Temporal cluster with several worker processes. The cluster of
 * `npm run stack -- --cluster` (temporal-server on PostgreSQL, scripts/lib/cluster) in a state dir of
 * this test; two worker processes (src/worker.ts) on one task queue, each with the webhook receiver
 * inside it on a port of its own; a round-robin front (scripts/lib/round-robin-front.ts, as a load
 * balancer) that the workspace's notification destination names, so a run's notifications reach either
 * receiver whichever worker submitted it.
 *
 *   50 runs (45 webhook, 5 poll), job lengths 5–50 s → once every run is submitted, both workers have
 *   submitted some and 8 jobs have ended, worker A is SIGKILLed and taken out of the front (as a
 *   load balancer's health check would) while most jobs still run → B finishes everything.
 *
 * Asserted: 50/50 SUCCESS, exactly 50 Databricks runs, each workflow with a run of its own; both
 * receivers got notifications, and every one they answered "signalled" went to the workflow that
 * waits on that run — including those B got for runs A submitted, which B's run directory does not
 * hold: B's metrics (lakeloop_webhook_lookups_total) count exactly those as found by a visibility
 * query (the DatabricksRunId search attribute, in the cluster's PostgreSQL visibility store).
 *
 * Skipped (with a message) only when the Go module proxy refuses a module the server build needs.
 * In the serial pass (jest.stress.config.js): it starts a cluster and kills a worker.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, Connection, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ModuleProxyRefusedError, ensureTemporalServer } from '../../scripts/lib/cluster/build-server.js';
import { startTemporalCluster, type TemporalCluster } from '../../scripts/lib/cluster/cluster.js';
import { freePort } from '../../scripts/lib/processes.js';
import {
  startRoundRobinFront,
  type ForwardRecord,
  type RoundRobinFront,
} from '../../scripts/lib/round-robin-front.js';
import { parseExactJson } from '../../src/databricks/json.js';
import { NOTIFICATIONS_PATH } from '../../src/webhooks/receiver.js';
import { jobRunIdOf, notificationSchema } from '../../src/webhooks/notification.js';
import { databricksRun } from '../../src/workflows/index.js';
import { startTestEmulator, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { recordTestSecret } from '../helpers/secrets-ledger.js';
import { uniqueTaskQueue } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { runsCreated } from '../helpers/workspace.js';

const RUNS = 50;
/** Every tenth run is polled: a poll attempt in flight on the killed worker is retried by the other. */
const isPolled = (i: number) => i % 10 === 9;
/** 5–50 s, five runs each: the shortest end before the kill, most after it. */
const jobMs = (i: number) => 5_000 + (i % 10) * 5_000;
/** Jobs that end before the kill: the 5 s and most of the 10 s ones (10 in all). */
const ENDED_BEFORE_KILL = 8;
const USER = 'databricks';
const BUILD_TIMEOUT_MS = 20 * 60_000;
/** From the kill: the longest job (50 s) plus a sticky queue's and an activity's timeouts, with room. */
const FINISH_TIMEOUT_MS = 150_000;

interface Worker {
  name: 'A' | 'B';
  process: WorkerProcess;
  metricsUrl: string;
  receiverUrl: string;
}

/** A sample's value from a Prometheus text exposition (0 when absent: prom-client omits unset labels). */
async function metric(worker: Worker, name: string, labels: string): Promise<number> {
  const text = await (await fetch(worker.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** A delivery the front forwarded: the run it was about and, when signalled, the workflow signalled. */
interface Delivery {
  receiver: string;
  eventType: string;
  runId: string;
  status?: string;
  workflowId?: string;
  atMs: number;
}

function deliveryOf(record: ForwardRecord): Delivery | undefined {
  if (record.status !== 200) return undefined;
  const parsed = notificationSchema.safeParse(parseExactJson(record.requestBody));
  if (!parsed.success) return undefined;
  const answer = JSON.parse(record.responseBody) as { status?: string; workflowId?: string };
  return {
    receiver: record.target,
    eventType: parsed.data.event_type,
    runId: jobRunIdOf(parsed.data),
    status: answer.status,
    workflowId: answer.workflowId,
    atMs: Date.now(),
  };
}

/** The identity of the worker whose submitRun attempt completed (pid@host, src/worker.ts). */
async function submitterOf(handle: WorkflowHandleWithFirstExecutionRunId): Promise<string | undefined> {
  const history = await handle.fetchHistory();
  const scheduled = new Set<string>();
  for (const event of history.events ?? []) {
    if (event.activityTaskScheduledEventAttributes?.activityType?.name === 'submitRun')
      scheduled.add(String(event.eventId));
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed && scheduled.has(String(completed.scheduledEventId)))
      return completed.identity ?? undefined;
  }
  return undefined;
}

/** Settles with `work` or fails after `ms`, saying what was still missing. */
async function withDeadline<T>(work: Promise<T>, ms: number, missing: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${missing()}`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a Temporal cluster with two worker processes', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-cluster-workers-'));
  // As root, PostgreSQL runs as `postgres`, which must reach <stateDir>/postgres (mkdtemp makes 0700).
  chmodSync(stateDir, 0o711);
  const taskQueue = uniqueTaskQueue('cluster-workers');
  const password = randomBytes(18).toString('base64url');
  const deliveries: Delivery[] = [];
  const workers: Worker[] = [];
  let skipReason: string | undefined;
  let cluster: TemporalCluster | undefined;
  let connection: Connection | undefined;
  let client: Client;
  let emulator: TestEmulator | undefined;
  let front: RoundRobinFront | undefined;
  let destinationId: string;
  let clusterStartMs = 0;

  beforeAll(async () => {
    recordTestSecret('the cluster-workers webhook password', password);
    try {
      await ensureTemporalServer({ log: (line) => console.log(line) });
    } catch (err) {
      if (!(err instanceof ModuleProxyRefusedError)) throw err;
      skipReason = `SKIPPED: the Go module proxy refused a module the Temporal server build needs:\n${err.message}`;
      console.warn(skipReason);
      return;
    }
    const started = Date.now();
    cluster = await startTemporalCluster({ stateDir, port: 0, keepData: false, log: () => undefined });
    clusterStartMs = Date.now() - started;
    connection = await Connection.connect({ address: cluster.address });
    client = new Client({ connection, namespace: 'default' });
    emulator = await startTestEmulator();
    front = await startRoundRobinFront({
      onForward: (record) => {
        const delivery = deliveryOf(record);
        if (delivery) deliveries.push(delivery);
      },
    });
    const created = await emulator.api<{ id: string }>('POST', '/api/2.0/notification-destinations', {
      display_name: 'lakeloop-cluster-workers',
      config: {
        generic_webhook: { url: `${front.origin}${NOTIFICATIONS_PATH}`, username: USER, password },
      },
    });
    expect(created.status).toBe(200);
    destinationId = created.body.id;
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    for (const worker of workers)
      if (worker.process.child.exitCode === null) worker.process.child.kill('SIGKILL');
    await front?.close();
    await emulator?.close();
    await connection?.close();
    await cluster?.stop();
    // The data dir belongs to `postgres`; root removes it all the same.
    rmSync(stateDir, { recursive: true, force: true });
  });

  const startWorker = async (name: Worker['name']): Promise<Worker> => {
    const [webhookPort, metricsPort] = [await freePort(), await freePort()];
    const child = await startWorkerProcess(emulator!, taskQueue, {
      TEMPORAL_ADDRESS: cluster!.address,
      TEMPORAL_NAMESPACE: 'default',
      LAKELOOP_WEBHOOK_PORT: String(webhookPort),
      LAKELOOP_WEBHOOK_USERNAME: USER,
      LAKELOOP_WEBHOOK_PASSWORD: password,
      LAKELOOP_WEBHOOK_DESTINATION_ID: destinationId,
      LAKELOOP_METRICS_ADDR: `127.0.0.1:${metricsPort}`,
    });
    const worker = {
      name,
      process: child,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      receiverUrl: `http://127.0.0.1:${webhookPort}`,
    };
    workers.push(worker);
    front!.add(name, worker.receiverUrl);
    return worker;
  };

  test('50 runs, one of two workers SIGKILLed mid-run: 50 SUCCESS, exactly 50 Databricks runs, notifications routed by either receiver', async () => {
    if (skipReason) return;
    const t0 = Date.now();
    const [a, b] = await Promise.all([startWorker('A'), startWorker('B')]);
    const workersUpMs = Date.now() - t0;
    const pidOf = new Map([
      [a.process.child.pid!, 'A'],
      [b.process.child.pid!, 'B'],
    ]);

    for (let i = 0; i < 10; i++) {
      await emulator!.control('POST', '/scenarios', {
        match: { runName: `cluster-workers-${i}` },
        durationMs: jobMs(i),
      });
    }
    const submitStart = Date.now();
    const handles = await Promise.all(
      Array.from({ length: RUNS }, (_, i) =>
        client.workflow.start(databricksRun, {
          taskQueue,
          workflowId: `${taskQueue}-${i}`,
          args: [
            {
              submit: {
                run_name: `cluster-workers-${i % 10}`,
                tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
              },
              // Default safety net (5 min) and no workflow timeout: the kill must be survived, not
              // waited out (the server caps an activity's schedule-to-close at the run timeout).
              wait: { mode: isPolled(i) ? 'poll' : 'webhook' },
            },
          ],
        }),
      ),
    );
    const results = handles.map((h) => h.result());
    // Surfaced below with the timeout's message; this only keeps an early failure from being unhandled.
    for (const r of results) r.catch(() => undefined);

    // The kill comes once every run is submitted, both workers hold work (each submitted some), and a
    // few jobs have ended — while most still run.
    const beforeKill = await waitFor(
      async () => {
        const stats = await emulator!.control<{
          runs: { created: number; active: number; byResultState: Record<string, number> };
        }>('GET', '/stats');
        const submitted = [
          await metric(a, 'lakeloop_runs_submitted_total', 'kind="submit"'),
          await metric(b, 'lakeloop_runs_submitted_total', 'kind="submit"'),
        ];
        return { ...stats.runs, ended: stats.runs.byResultState.SUCCESS ?? 0, submitted };
      },
      (s) => s.created === RUNS && s.submitted.every((n) => n > 0) && s.ended >= ENDED_BEFORE_KILL,
      {
        timeoutMs: 90_000,
        intervalMs: 200,
        what: `every run submitted by both workers and ${ENDED_BEFORE_KILL} jobs ended`,
      },
    );
    const submittedMs = Date.now() - submitStart;
    const signalledByABeforeKill = await metric(
      a,
      'lakeloop_webhook_deliveries_total',
      'outcome="signalled"',
    );
    a.process.child.kill('SIGKILL');
    front!.remove('A');
    const killedAt = Date.now();
    expect(beforeKill.active).toBeGreaterThanOrEqual(10); // mid-run: jobs still going

    const outcomes = await withDeadline(Promise.all(results), FINISH_TIMEOUT_MS, () => {
      const done = new Set(deliveries.filter((d) => d.status === 'signalled').map((d) => d.workflowId));
      return `workflows without a signalled end: ${handles
        .map((h) => h.workflowId)
        .filter((id) => !done.has(id))
        .join(', ')}`;
    });
    const lastMs = Date.now() - killedAt;

    // Who submitted each run: the identity of the worker that completed its submitRun (pid@host).
    const submitters = await Promise.all(handles.map((h) => submitterOf(h)));
    const submitterName = submitters.map((identity) => pidOf.get(Number(identity?.split('@')[0])));
    const workflowOfRun = new Map(outcomes.map((o, i) => [o.runId, handles[i]!.workflowId]));
    const submittedBy = new Map(outcomes.map((o, i) => [o.runId, submitterName[i]]));
    const ends = deliveries.filter((d) => d.eventType === 'jobs.on_success');
    const signalled = ends.filter((d) => d.status === 'signalled');
    const misrouted = signalled.filter((d) => workflowOfRun.get(d.runId) !== d.workflowId);
    // B's receiver, for runs A submitted: not in B's run directory, found through visibility.
    const crossed = signalled.filter((d) => d.receiver === 'B' && submittedBy.get(d.runId) === 'A');
    const crossedAfterKill = crossed.filter((d) => d.atMs > killedAt);
    const crossedToA = signalled.filter((d) => d.receiver === 'A' && submittedBy.get(d.runId) === 'B');
    const forwarded = front!.forwarded();
    const signalledByB = await metric(b, 'lakeloop_webhook_deliveries_total', 'outcome="signalled"');
    const bLookups = {
      directory: await metric(b, 'lakeloop_webhook_lookups_total', 'via="directory"'),
      visibility: await metric(b, 'lakeloop_webhook_lookups_total', 'via="visibility"'),
    };
    const caughtUp = outcomes.filter((o) => o.caughtUp).length;
    const databricksRuns = await runsCreated(emulator!);

    console.log(
      `cluster workers: cluster up in ${(clusterStartMs / 1000).toFixed(1)} s, 2 workers in ` +
        `${(workersUpMs / 1000).toFixed(1)} s; ${RUNS} runs submitted in ${(submittedMs / 1000).toFixed(1)} s ` +
        `(A ${beforeKill.submitted[0]}, B ${beforeKill.submitted[1]}); A SIGKILLed with ` +
        `${beforeKill.active} jobs running, ${beforeKill.ended} ended; last workflow closed ` +
        `${(lastMs / 1000).toFixed(1)} s after the kill; ` +
        `${outcomes.filter((o) => o.outcome === 'SUCCESS').length}/${RUNS} SUCCESS, Databricks runs ` +
        `${databricksRuns}; front forwarded A ${forwarded.A ?? 0} / B ${forwarded.B ?? 0}; end notifications ` +
        `signalled ${signalled.length} (A ${signalledByABeforeKill} by its metric before the kill), ` +
        `${crossed.length} by B for runs A submitted (${crossed.length - crossedAfterKill.length} before the kill; ` +
        `B's lookups: ${bLookups.visibility} visibility, ${bLookups.directory} directory), ` +
        `${crossedToA.length} by A for runs B submitted, ` +
        `misrouted ${misrouted.length}; caught up ${caughtUp}`,
    );

    expect(outcomes.map((o) => o.outcome)).toEqual(Array(RUNS).fill('SUCCESS'));
    expect(databricksRuns).toBe(RUNS);
    expect(new Set(outcomes.map((o) => o.runId)).size).toBe(RUNS);
    // Both workers submitted runs (A's the ones whose workflows B took over).
    expect(submitterName.filter((n) => n === 'A').length).toBe(beforeKill.submitted[0]);
    expect(submitterName.filter((n) => n === 'B').length).toBe(beforeKill.submitted[1]);
    // Notifications reached both receivers; each signal went to the workflow waiting on that run.
    expect(forwarded.A ?? 0).toBeGreaterThan(0);
    expect(forwarded.B ?? 0).toBeGreaterThan(0);
    expect(misrouted).toEqual([]);
    expect(crossedAfterKill.length).toBeGreaterThan(0);
    // What the front saw B answer is what B's receiver counted (the receiver inside worker B).
    expect(signalledByB).toBe(signalled.filter((d) => d.receiver === 'B').length);
    // B found the workflows of A's runs by a visibility query, its own in its run directory.
    expect(bLookups).toEqual({
      directory: signalled.filter((d) => d.receiver === 'B' && submittedBy.get(d.runId) === 'B').length,
      visibility: crossed.length,
    });
  }, 360_000);
});

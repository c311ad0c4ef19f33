/**
 * One scenario against Lakeloop in one wait mode (and, in the uncompressed scenario, one poll arm): a
 * fresh emulator process, a fresh worker on its own task queue — in this process (its RSS and CPU are
 * sampled here), or with --workers N as N worker processes behind a round-robin front
 * (bench/worker-processes.ts; each sampled through /proc) — and `databricksRun` workflows with the
 * default wait settings of that mode.
 */
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import pLimit from 'p-limit';
import { createLakeloopWorker } from '../src/create-worker.js';
import { createWorkspaceClient } from '../src/databricks/workspace-client.js';
import type { RunInput } from '../src/shared/run-input.js';
import type { WebhookReceiver } from '../src/webhooks/receiver.js';
import type { RunDirectory } from '../src/webhooks/run-directory.js';
import { databricksRun } from '../src/workflows/index.js';
import { api, control, requestCounts, startEmulatorProcess, detectionLatencies } from './emulator-process.js';
import { ResourceSampler, TerminalObserver } from './observer.js';
import { ProcessSampler, lifetimePeakRssMb, type ProcessFigures, type Watched } from './proc-stats.js';
import { scrape, startWorkerFleet, type CompiledWorker, type WorkerFleet } from './worker-processes.js';
import {
  lengthSummary,
  percentile,
  perRun,
  round,
  type PredictionVariant,
  type ScenarioResult,
  type WorkerFigures,
} from './output.js';
import { runLengths, type Scenario } from './scenarios.js';
import { BENCH_RUN_NAME, BENCH_TASKS, prepareWorkspace } from './workspace-setup.js';

export interface LakeloopContext {
  client: Client;
  connection: NativeConnection;
  namespace: string;
  workflowBundlePath: string;
  webhook: { url: string; username: string; password: string };
  /** Shared with the webhook receiver, as in the production worker. */
  runDirectory: RunDirectory;
  /** The receiver's counters, to say where notifications went (webhook mode). */
  receiver: Pick<WebhookReceiver, 'stats' | 'lookups'>;
  /** --max-cached-workflows; undefined: the SDK's default, as `npm run worker` without the setting. */
  maxCachedWorkflows?: number;
  /** The Temporal runtime's Prometheus endpoint (its sticky-cache counters). */
  runtimeMetricsUrl: string;
  /** The server the workers talk to (for worker processes) and what kind it is. */
  temporalAddress: string;
  temporal: 'dev-server' | 'cluster';
  /** The server's processes, sampled over each measured window (temporal-server, PostgreSQL…). */
  serverProcesses: Watched[];
  /** --workers N: N worker processes of this compiled worker instead of one in this process. */
  workerProcesses?: { count: number; compiled: CompiledWorker };
}

/** Sums of the runtime's sticky-cache counters over every label set. */
async function workflowCacheCounters(url: string): Promise<{ forcedEvictions: number; misses: number }> {
  return {
    forcedEvictions: await scrape(url, 'temporal_sticky_cache_total_forced_eviction'),
    misses: await scrape(url, 'temporal_sticky_cache_miss'),
  };
}

const PAT = 'dapi-bench';

export interface LakeloopArm {
  mode: 'webhook' | 'poll';
  /**
   * Poll mode in the uncompressed scenario. 'prediction' and 'cold-start': the worker's default
   * (LAKELOOP_POLL_PREDICTION unset: on, 10-minute bound), the latter on a workspace without the job's
   * earlier runs; 'no-prediction': LAKELOOP_POLL_PREDICTION=off. Absent: the worker's defaults, as
   * `npm run worker` has them, on a workspace without history (the compressed scenarios).
   */
  variant?: PredictionVariant;
}

export const armLabel = (arm: LakeloopArm): string =>
  `lakeloop/${arm.mode}${arm.variant ? ` (${arm.variant})` : ''}`;

/**
 * The arm's worker(s), behind one interface: `measure` runs the measured window while they serve the
 * task queue; the rest is read after it.
 */
interface ArmWorkers {
  maxCachedWorkflows: number;
  measure(window: () => Promise<void>): Promise<void>;
  cacheCounters(): Promise<{ forcedEvictions: number; misses: number }>;
  /** Receiver counters so far (webhook mode): signalled through the run directory or visibility, unknown. */
  receiverCounts(): Promise<{ directory: number; visibility: number; unknownRun: number }>;
  /** After measure(): the row's peak RSS and CPU, and per-worker figures with worker processes. */
  resources(runs: number): { peakRssMb: number; cpuSeconds: number; workers?: WorkerFigures[] };
  /** After measure() and stop(): run_id → first terminal runs/get, seen where the worker made it. */
  observedAt(): Map<number, number>;
  stop(): Promise<void>;
}

interface ArmSetup {
  emulatorUrl: string;
  taskQueue: string;
  mode: LakeloopArm['mode'];
  variant?: PredictionVariant;
  /** Webhook mode: creates the notification destination on `url`, returns its id. */
  createDestination(url: string): Promise<string>;
}

/** The worker in this process, the receiver beside it (run.ts), as before --workers. */
async function inProcessWorker(ctx: LakeloopContext, arm: ArmSetup): Promise<ArmWorkers> {
  const { mode, variant } = arm;
  const webhookDestinationId = mode === 'webhook' ? await arm.createDestination(ctx.webhook.url) : undefined;
  const worker = await createLakeloopWorker({
    connection: ctx.connection,
    namespace: ctx.namespace,
    taskQueue: arm.taskQueue,
    workflowBundlePath: ctx.workflowBundlePath,
    shutdownGraceSeconds: 1,
    maxCachedWorkflows: ctx.maxCachedWorkflows,
    deps: {
      workerIdentity: `bench-${mode}${variant ? `-${variant}` : ''}`,
      workerStartedAt: new Date().toISOString(),
      lakeloopVersion: 'bench',
      databricks: createWorkspaceClient(
        { authType: 'pat', host: arm.emulatorUrl, token: PAT },
        { requestsPerSecond: 100_000, burst: 100_000, timeoutMs: 60_000 },
      ),
      webhookDestinationId,
      runDirectory: ctx.runDirectory,
      ...(variant === 'no-prediction' ? { pollPrediction: 'off' as const } : {}),
    },
  });
  const observer = new TerminalObserver();
  const sampler = new ResourceSampler();
  let resources = { peakRssMb: 0, cpuSeconds: 0 };
  return {
    maxCachedWorkflows: worker.options.maxCachedWorkflows,
    async measure(window) {
      observer.install(arm.emulatorUrl);
      try {
        await worker.runUntil(async () => {
          sampler.start();
          await window();
        });
      } finally {
        resources = sampler.stop();
        observer.uninstall();
      }
    },
    cacheCounters: () => workflowCacheCounters(ctx.runtimeMetricsUrl),
    receiverCounts: async () => {
      const { directory, visibility } = ctx.receiver.lookups();
      return { directory, visibility, unknownRun: ctx.receiver.stats()['unknown-run'] };
    },
    resources: () => resources,
    observedAt: () => observer.observedAt,
    stop: async () => observer.uninstall(),
  };
}

/** --workers N: N worker processes, each with its receiver, behind the round-robin front. */
async function workerProcesses(
  ctx: LakeloopContext,
  arm: ArmSetup,
  spec: NonNullable<LakeloopContext['workerProcesses']>,
): Promise<ArmWorkers> {
  const fleet: WorkerFleet = await startWorkerFleet(
    {
      compiled: spec.compiled,
      count: spec.count,
      temporalAddress: ctx.temporalAddress,
      namespace: ctx.namespace,
      taskQueue: arm.taskQueue,
      workflowBundlePath: ctx.workflowBundlePath,
      emulatorUrl: arm.emulatorUrl,
      pat: PAT,
      ...(arm.mode === 'webhook'
        ? { webhook: { username: ctx.webhook.username, password: ctx.webhook.password } }
        : {}),
      maxCachedWorkflows: ctx.maxCachedWorkflows,
      pollPredictionOff: arm.variant === 'no-prediction',
    },
    arm.createDestination,
  );
  const sampler = new ProcessSampler(fleet.workers.map((w) => ({ name: w.name, pid: w.pid })));
  let figures = new Map<string, ProcessFigures | null>();
  let perWorker: Array<Omit<WorkerFigures, 'cpuMsPerRun'>> = [];
  const sumOver = async (read: (w: WorkerFleet['workers'][number]) => Promise<number>) =>
    (await Promise.all(fleet.workers.map(read))).reduce((a, b) => a + b, 0);
  return {
    // Every worker runs with the same setting; the first one's log says what it came to.
    maxCachedWorkflows: fleet.workers[0]!.maxCachedWorkflows,
    async measure(window) {
      sampler.start();
      try {
        await window();
      } finally {
        // Read while the workers still run: /proc forgets a process once it exits.
        figures = sampler.stop();
        perWorker = await Promise.all(
          fleet.workers.map(async (w) => ({
            name: w.name,
            pid: w.pid,
            peakRssMb: figures.get(w.name)?.peakRssMb ?? 0,
            lifetimePeakRssMb: lifetimePeakRssMb(w.pid),
            cpuSeconds: figures.get(w.name)?.cpuSeconds ?? 0,
            runsSubmitted: await scrape(w.metricsUrl, 'lakeloop_runs_submitted_total'),
            deliveriesReceived: fleet.front?.forwarded()[w.name] ?? 0,
            signalledViaDirectory: await scrape(
              w.metricsUrl,
              'lakeloop_webhook_lookups_total',
              'via="directory"',
            ),
            signalledViaVisibility: await scrape(
              w.metricsUrl,
              'lakeloop_webhook_lookups_total',
              'via="visibility"',
            ),
          })),
        );
      }
    },
    cacheCounters: async () => ({
      forcedEvictions: await sumOver((w) =>
        scrape(w.temporalMetricsUrl, 'temporal_sticky_cache_total_forced_eviction'),
      ),
      misses: await sumOver((w) => scrape(w.temporalMetricsUrl, 'temporal_sticky_cache_miss')),
    }),
    receiverCounts: async () => ({
      directory: await sumOver((w) =>
        scrape(w.metricsUrl, 'lakeloop_webhook_lookups_total', 'via="directory"'),
      ),
      visibility: await sumOver((w) =>
        scrape(w.metricsUrl, 'lakeloop_webhook_lookups_total', 'via="visibility"'),
      ),
      unknownRun: await sumOver((w) =>
        scrape(w.metricsUrl, 'lakeloop_webhook_deliveries_total', 'outcome="unknown-run"'),
      ),
    }),
    resources(runs) {
      const workers = perWorker.map((w) => ({ ...w, cpuMsPerRun: round((w.cpuSeconds * 1000) / runs, 2) }));
      return {
        // The row: the largest worker's peak and the workers' CPU together (per worker below).
        peakRssMb: Math.max(0, ...workers.map((w) => w.peakRssMb)),
        cpuSeconds: round(
          workers.reduce((sum, w) => sum + w.cpuSeconds, 0),
          2,
        ),
        workers,
      };
    },
    observedAt: () => fleet.observedAt(),
    stop: () => fleet.stop(),
  };
}

export async function benchLakeloop(
  ctx: LakeloopContext,
  scenario: Scenario,
  arm: LakeloopArm,
): Promise<ScenarioResult> {
  const { mode, variant } = arm;
  const emulator = await startEmulatorProcess(PAT, scenario.timeScale);
  let workers: ArmWorkers | undefined;
  try {
    await prepareWorkspace(emulator.url, scenario, { history: variant !== 'cold-start' });
    const taskQueue = `bench-${scenario.name}-${mode}${variant ? `-${variant}` : ''}-${Date.now()}`;
    const setup: ArmSetup = {
      emulatorUrl: emulator.url,
      taskQueue,
      mode,
      ...(variant ? { variant } : {}),
      createDestination: async (url) =>
        (
          await api<{ id: string }>(emulator, '/api/2.0/notification-destinations', {
            display_name: 'bench',
            config: {
              generic_webhook: { url, username: ctx.webhook.username, password: ctx.webhook.password },
            },
          })
        ).id,
    };
    workers = ctx.workerProcesses
      ? await workerProcesses(ctx, setup, ctx.workerProcesses)
      : await inProcessWorker(ctx, setup);

    const input: RunInput = {
      submit: { run_name: BENCH_RUN_NAME, tasks: BENCH_TASKS },
      wait: { mode },
    };
    const ids = Array.from({ length: scenario.runs }, (_, i) => `${taskQueue}-${i}`);
    let completed = 0;
    let failed = 0;
    let wallMs = 0;
    let startedMs = 0;
    const before = await requestCounts(emulator.url);
    const receiverBefore = await workers.receiverCounts();
    const cacheBefore = await workers.cacheCounters();
    const server = new ProcessSampler(ctx.serverProcesses);

    await workers.measure(async () => {
      server.start();
      const began = performance.now();
      const start = (workflowId: string) =>
        ctx.client.workflow.start(databricksRun, { taskQueue, workflowId, args: [input] });
      const handles =
        scenario.launch === 'concurrent'
          ? await pLimit(200).map(ids, start)
          : await pLimit(1).map(ids, start);
      startedMs = performance.now() - began;
      await pLimit(500).map(handles, (handle) =>
        handle.result().then(
          () => completed++,
          () => failed++,
        ),
      );
      wallMs = performance.now() - began;
    });
    const serverFigures = server.stop();
    const resources = workers.resources(scenario.runs);
    const cacheAfter = await workers.cacheCounters();
    const receiverAfter = await workers.receiverCounts();
    const after = await requestCounts(emulator.url);
    await workers.stop();

    // After the measured window: history lengths and the emulator's wall-clock end of each run.
    const descriptions = await pLimit(50).map(ids, (id) => ctx.client.workflow.getHandle(id).describe());
    const historyEvents = descriptions.reduce((sum, d) => sum + d.historyLength, 0) / ids.length;
    const latencies = await detectionLatencies(emulator.url, workers.observedAt());
    const calls = perRun(before, after, scenario.runs);
    // Where notifications went: sent by the emulator (failed = no 2xx from a receiver in time),
    // then signalled through the run directory or visibility, or answered "unknown run".
    const { webhooks } = await control<{ webhooks: Record<string, number> }>(emulator.url, 'GET', '/stats');
    const receiverDelta = (key: keyof typeof receiverAfter) => receiverAfter[key] - receiverBefore[key];
    return {
      name: scenario.name,
      system: 'lakeloop',
      mode,
      ...(variant ? { variant } : {}),
      runs: scenario.runs,
      emulatedRunMs: scenario.durationMs,
      ...lengthSummary(runLengths(scenario)),
      timeScale: scenario.timeScale,
      apiCallsPerRun: calls.total,
      apiCallsByEndpoint: calls.byEndpoint,
      detectionLatencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      historyEventsPerRun: round(historyEvents, 1),
      peakRssMb: round(resources.peakRssMb, 1),
      cpuSeconds: round(resources.cpuSeconds, 2),
      completed,
      failed,
      wallSeconds: round(wallMs / 1000, 1),
      runsPerSecond: {
        started: round(scenario.runs / (startedMs / 1000), 1),
        completed: round(completed / (wallMs / 1000), 2),
      },
      deployment: {
        temporal: ctx.temporal,
        workers: ctx.workerProcesses ? ctx.workerProcesses.count : 'in-process',
      },
      ...(resources.workers ? { workers: resources.workers } : {}),
      server: Object.fromEntries(serverFigures),
      workflowCache: {
        maxCachedWorkflows: workers.maxCachedWorkflows,
        forcedEvictions: cacheAfter.forcedEvictions - cacheBefore.forcedEvictions,
        misses: cacheAfter.misses - cacheBefore.misses,
      },
      ...(mode === 'webhook'
        ? {
            notifications: {
              sent: webhooks.sent ?? 0,
              failedDelivery: webhooks.failed ?? 0,
              signalledViaDirectory: receiverDelta('directory'),
              signalledViaVisibility: receiverDelta('visibility'),
              unknownRun: receiverDelta('unknownRun'),
            },
          }
        : {}),
    };
  } finally {
    await workers?.stop();
    await emulator.stop();
  }
}

/**
 * One scenario against Lakeloop in one wait mode (and, in the uncompressed scenario, one poll arm): a
 * fresh emulator process, a fresh worker (in this process, so its RSS and CPU are sampled here) on its
 * own task queue, `databricksRun` workflows with the default wait settings of that mode.
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
import {
  lengthSummary,
  percentile,
  perRun,
  round,
  type PredictionVariant,
  type ScenarioResult,
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
}

/** Sums of the runtime's sticky-cache counters over every label set. */
async function workflowCacheCounters(url: string): Promise<{ forcedEvictions: number; misses: number }> {
  const text = await (await fetch(url)).text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    forcedEvictions: sum('temporal_sticky_cache_total_forced_eviction'),
    misses: sum('temporal_sticky_cache_miss'),
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

export async function benchLakeloop(
  ctx: LakeloopContext,
  scenario: Scenario,
  arm: LakeloopArm,
): Promise<ScenarioResult> {
  const { mode, variant } = arm;
  const emulator = await startEmulatorProcess(PAT, scenario.timeScale);
  const observer = new TerminalObserver();
  const sampler = new ResourceSampler();
  try {
    await prepareWorkspace(emulator.url, scenario, { history: variant !== 'cold-start' });
    let webhookDestinationId: string | undefined;
    if (mode === 'webhook') {
      const destination = await api<{ id: string }>(emulator, '/api/2.0/notification-destinations', {
        display_name: 'bench',
        config: {
          generic_webhook: {
            url: ctx.webhook.url,
            username: ctx.webhook.username,
            password: ctx.webhook.password,
          },
        },
      });
      webhookDestinationId = destination.id;
    }
    const taskQueue = `bench-${scenario.name}-${mode}${variant ? `-${variant}` : ''}-${Date.now()}`;
    const worker = await createLakeloopWorker({
      connection: ctx.connection,
      namespace: ctx.namespace,
      taskQueue,
      workflowBundlePath: ctx.workflowBundlePath,
      shutdownGraceSeconds: 1,
      maxCachedWorkflows: ctx.maxCachedWorkflows,
      deps: {
        workerIdentity: `bench-${mode}${variant ? `-${variant}` : ''}`,
        workerStartedAt: new Date().toISOString(),
        lakeloopVersion: 'bench',
        databricks: createWorkspaceClient(
          { authType: 'pat', host: emulator.url, token: PAT },
          { requestsPerSecond: 100_000, burst: 100_000, timeoutMs: 60_000 },
        ),
        webhookDestinationId,
        runDirectory: ctx.runDirectory,
        ...(variant === 'no-prediction' ? { pollPrediction: 'off' as const } : {}),
      },
    });

    const input: RunInput = {
      submit: { run_name: BENCH_RUN_NAME, tasks: BENCH_TASKS },
      wait: { mode },
    };
    const ids = Array.from({ length: scenario.runs }, (_, i) => `${taskQueue}-${i}`);
    let completed = 0;
    let failed = 0;
    let wallMs = 0;
    const before = await requestCounts(emulator.url);
    const receiverBefore = { ...ctx.receiver.stats(), ...ctx.receiver.lookups() };
    const cacheBefore = await workflowCacheCounters(ctx.runtimeMetricsUrl);
    observer.install(emulator.url);

    await worker.runUntil(async () => {
      sampler.start();
      const began = performance.now();
      const start = (workflowId: string) =>
        ctx.client.workflow.start(databricksRun, { taskQueue, workflowId, args: [input] });
      const handles =
        scenario.launch === 'concurrent'
          ? await pLimit(200).map(ids, start)
          : await pLimit(1).map(ids, start);
      await pLimit(500).map(handles, (handle) =>
        handle.result().then(
          () => completed++,
          () => failed++,
        ),
      );
      wallMs = performance.now() - began;
    });
    const resources = sampler.stop();
    observer.uninstall();
    const cacheAfter = await workflowCacheCounters(ctx.runtimeMetricsUrl);
    const after = await requestCounts(emulator.url);

    // After the measured window: history lengths and the emulator's wall-clock end of each run.
    const descriptions = await pLimit(50).map(ids, (id) => ctx.client.workflow.getHandle(id).describe());
    const historyEvents = descriptions.reduce((sum, d) => sum + d.historyLength, 0) / ids.length;
    const latencies = await detectionLatencies(emulator.url, observer.observedAt);
    const calls = perRun(before, after, scenario.runs);
    // Where notifications went: sent by the emulator (failed = no 2xx from the receiver in time),
    // then signalled through the run directory or visibility, or answered "unknown run".
    const { webhooks } = await control<{ webhooks: Record<string, number> }>(emulator.url, 'GET', '/stats');
    const receiverAfter = { ...ctx.receiver.stats(), ...ctx.receiver.lookups() };
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
      workflowCache: {
        maxCachedWorkflows: worker.options.maxCachedWorkflows,
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
              unknownRun: receiverDelta('unknown-run'),
            },
          }
        : {}),
    };
  } finally {
    observer.uninstall();
    await emulator.stop();
  }
}

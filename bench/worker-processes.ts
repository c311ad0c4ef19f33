/**
 * `--workers N`: the Lakeloop arm's workers as N separate processes — the production entry point
 * (src/worker.ts, compiled as the container runs it: `node lib/src/worker.js`), configured only through
 * its environment, each with the webhook receiver inside it on a port of its own, behind one
 * round-robin front (scripts/lib/round-robin-front.ts) that the notification destination names, as a
 * load balancer would. The bench process then only starts workflows and observes.
 *
 * Compiled once per bench run into .lakeloop/bench-worker-PID/ (tsc with tsconfig.build.json's
 * settings, plus the bench's fetch observer, bench/worker-observer.ts, preloaded into each worker):
 * tsx would add its loader and transform cache to every worker's memory and CPU.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, startProcess, type ManagedProcess } from '../scripts/lib/processes.js';
import { startRoundRobinFront, type RoundRobinFront } from '../scripts/lib/round-robin-front.js';
import { projectRoot } from '../scripts/lib/temporal-cli.js';
import { NOTIFICATIONS_PATH } from '../src/webhooks/receiver.js';

export interface CompiledWorker {
  /** lib-like directory holding src/worker.js and bench/worker-observer.js. */
  dir: string;
  remove(): void;
}

/** tsc of src/ and the observer into .lakeloop/bench-worker-PID (node_modules resolve from the project). */
export function compileWorker(): CompiledWorker {
  const dir = path.join(projectRoot, '.lakeloop', `bench-worker-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const tsconfig = path.join(dir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: path.join(projectRoot, 'tsconfig.build.json'),
      compilerOptions: { outDir: dir, rootDir: projectRoot, declaration: false },
      include: [path.join(projectRoot, 'src'), path.join(projectRoot, 'bench', 'worker-observer.ts')],
    }),
  );
  execFileSync(
    process.execPath,
    [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', tsconfig],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface WorkerProcessSettings {
  compiled: CompiledWorker;
  count: number;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  workflowBundlePath: string;
  emulatorUrl: string;
  pat: string;
  /** Webhook mode: the receivers' credentials; the destination is created by the caller on `url`. */
  webhook?: { username: string; password: string };
  maxCachedWorkflows?: number;
  /** LAKELOOP_POLL_PREDICTION=off (the uncompressed scenario's no-prediction arm). */
  pollPredictionOff?: boolean;
}

export interface BenchWorkerProcess {
  name: string;
  pid: number;
  process: ManagedProcess;
  metricsUrl: string;
  temporalMetricsUrl: string;
  observedFile: string;
  /** maxCachedWorkflows as the worker logged it when it started polling. */
  maxCachedWorkflows: number;
}

export interface WorkerFleet {
  workers: BenchWorkerProcess[];
  /** The notification destination's URL (webhook mode): the front. */
  url?: string;
  front?: RoundRobinFront;
  /** SIGTERM to each (the worker drains) and waits; then its observations can be read. */
  stop(): Promise<void>;
  /** run_id → wall-clock ms of the first terminal runs/get, over every worker (after stop()). */
  observedAt(): Map<number, number>;
}

const READY = 'lakeloop worker polling';

/** Resolves once the worker logged that it polls, with the cache size it logged. */
async function ready(worker: ManagedProcess, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = worker.recentOutput().find((l) => l.includes(READY));
    if (line) return Number(/"maxCachedWorkflows":(\d+)/.exec(line)?.[1] ?? NaN);
    if (worker.child.exitCode !== null || worker.child.signalCode !== null || Date.now() > deadline) {
      throw new Error(`${worker.name} did not start:\n${worker.recentOutput().join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts the front (webhook mode) and N workers. The destination must name the front before the
 * workers start (each checks LAKELOOP_WEBHOOK_DESTINATION_ID at start-up): `createDestination` gets
 * the front's URL and returns the id.
 */
export async function startWorkerFleet(
  settings: WorkerProcessSettings,
  createDestination?: (url: string) => Promise<string>,
): Promise<WorkerFleet> {
  const front = settings.webhook ? await startRoundRobinFront() : undefined;
  const url = front ? `${front.origin}${NOTIFICATIONS_PATH}` : undefined;
  const destinationId = url && createDestination ? await createDestination(url) : undefined;
  const workers: BenchWorkerProcess[] = [];
  try {
    await Promise.all(
      Array.from({ length: settings.count }, async (_, i) => {
        const name = `worker-${i + 1}`;
        const [webhookPort, metricsPort, temporalMetricsPort] = [
          await freePort(),
          await freePort(),
          await freePort(),
        ];
        const observedFile = path.join(settings.compiled.dir, `${settings.taskQueue}-${name}.observed.json`);
        const env: Record<string, string | undefined> = {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          // No stack.env: everything comes from here.
          LAKELOOP_STACK_ENV: 'off',
          TEMPORAL_ADDRESS: settings.temporalAddress,
          TEMPORAL_NAMESPACE: settings.namespace,
          LAKELOOP_TASK_QUEUE: settings.taskQueue,
          LAKELOOP_WORKFLOW_BUNDLE: settings.workflowBundlePath,
          LAKELOOP_LOG_LEVEL: 'WARN',
          LAKELOOP_LOG_FORMAT: 'json',
          LAKELOOP_SHUTDOWN_GRACE_SECONDS: '1',
          LAKELOOP_REAPER_INTERVAL: 'off',
          DATABRICKS_HOST: settings.emulatorUrl,
          DATABRICKS_TOKEN: settings.pat,
          // As the in-process arm: the request budget lifted (its maximum), so the figures show the
          // orchestrator rather than the budget.
          LAKELOOP_DATABRICKS_RPS: '1000',
          LAKELOOP_DATABRICKS_BURST: '1000',
          LAKELOOP_METRICS_ADDR: `127.0.0.1:${metricsPort}`,
          LAKELOOP_TEMPORAL_METRICS_ADDR: `127.0.0.1:${temporalMetricsPort}`,
          LAKELOOP_BENCH_OBSERVED_FILE: observedFile,
          ...(settings.maxCachedWorkflows !== undefined
            ? { LAKELOOP_MAX_CACHED_WORKFLOWS: String(settings.maxCachedWorkflows) }
            : {}),
          ...(settings.pollPredictionOff ? { LAKELOOP_POLL_PREDICTION: 'off' } : {}),
          ...(settings.webhook && destinationId
            ? {
                LAKELOOP_WEBHOOK_PORT: String(webhookPort),
                LAKELOOP_WEBHOOK_USERNAME: settings.webhook.username,
                LAKELOOP_WEBHOOK_PASSWORD: settings.webhook.password,
                LAKELOOP_WEBHOOK_DESTINATION_ID: destinationId,
              }
            : {}),
        };
        const proc = startProcess(
          name,
          process.execPath,
          [
            '--import',
            path.join(settings.compiled.dir, 'bench', 'worker-observer.js'),
            path.join(settings.compiled.dir, 'src', 'worker.js'),
          ],
          { cwd: projectRoot, echo: false, env },
        );
        const worker: BenchWorkerProcess = {
          name,
          pid: proc.child.pid!,
          process: proc,
          metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
          temporalMetricsUrl: `http://127.0.0.1:${temporalMetricsPort}/metrics`,
          observedFile,
          maxCachedWorkflows: NaN,
        };
        workers.push(worker);
        worker.maxCachedWorkflows = await ready(proc);
        front?.add(name, `http://127.0.0.1:${webhookPort}`);
      }),
    );
  } catch (err) {
    await Promise.all(workers.map((w) => w.process.stop(5_000)));
    await front?.close();
    throw err;
  }
  workers.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  let stopped = false;
  return {
    workers,
    url,
    front,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(workers.map((w) => w.process.stop(20_000)));
      await front?.close();
    },
    observedAt() {
      const all = new Map<number, number>();
      for (const w of workers) {
        let entries: Array<[number, number]> = [];
        try {
          entries = JSON.parse(readFileSync(w.observedFile, 'utf8')) as Array<[number, number]>;
        } catch {
          continue; // a worker that died before writing: its runs have no detection figure
        }
        // A run seen terminal by several workers (a retried look): the first.
        for (const [runId, at] of entries) all.set(runId, Math.min(at, all.get(runId) ?? Infinity));
      }
      return all;
    },
  };
}

/** A sample's value summed over its label sets, from a Prometheus text exposition (0 when absent). */
export async function scrape(url: string, name: string, labels?: string): Promise<number> {
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((l) =>
      labels === undefined
        ? l.startsWith(`${name}{`) || l.startsWith(`${name} `)
        : l.startsWith(`${name}{${labels}}`),
    )
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

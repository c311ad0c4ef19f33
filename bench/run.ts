/**
 * `npm run bench -- [--quick] [--out FILE] [--time-scale N] [--cluster] [--workers N]` — issue 8's
 * benchmark harness. Starts a local Temporal dev server (or with --cluster the real Temporal cluster of
 * `npm run stack -- --cluster`: temporal-server on PostgreSQL, in a temporary state dir), the webhook
 * receiver and (per scenario) an emulator process, runs every scenario against Lakeloop in webhook and
 * poll mode (then, with --prefect / --airflow, against those peers), and writes JSON, a markdown table
 * and an SVG chart to bench/results/. The Lakeloop worker runs in this process, or with --workers N
 * as N worker processes, each with its own receiver, behind one round-robin front (issue #19). See
 * bench/README.md for what each figure means.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { maxCachedWorkflowsSchema } from '../src/config/index.js';
import { startWebhookReceiver } from '../src/webhooks/receiver.js';
import { RunDirectory } from '../src/webhooks/run-directory.js';
import { freePort } from '../scripts/lib/processes.js';
import { Cleanup, startEphemeralTemporal } from '../scripts/lib/local-stack.js';
import { CLUSTER_NAMESPACE, startTemporalCluster } from '../scripts/lib/cluster/cluster.js';
import { projectRoot, resolveTemporalBinary } from '../scripts/lib/temporal-cli.js';
import { armLabel, benchLakeloop, type LakeloopArm, type LakeloopContext } from './lakeloop.js';
import type { Watched } from './proc-stats.js';
import { compileWorker } from './worker-processes.js';
import { PREFECT_REQUIREMENTS, benchPrefect, ensurePrefectVenv } from './prefect.js';
import {
  AIRFLOW_REQUIREMENTS,
  AIRFLOW_VARIANTS,
  benchAirflow,
  ensureAirflowVenv,
  type AirflowVariant,
} from './airflow.js';
import {
  PREDICTION_VARIANTS,
  markdownTable,
  round,
  svgChart,
  type BenchReport,
  type ScenarioResult,
} from './output.js';
import { UNCOMPRESSED, historyLengths, runLengths, scenarios, type Scenario } from './scenarios.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    'time-scale': { type: 'string' },
    only: { type: 'string' },
    prefect: { type: 'boolean', default: false },
    'prefect-max-runs': { type: 'string', default: '1000' },
    airflow: { type: 'boolean', default: false },
    'airflow-max-runs': { type: 'string', default: '1000' },
    'airflow-mode': { type: 'string', default: 'deferrable' },
    modes: { type: 'string' },
    'max-cached-workflows': { type: 'string' },
    cluster: { type: 'boolean', default: false },
    workers: { type: 'string' },
  },
});
const quick = values.quick;
const prefectMaxRuns = Number(values['prefect-max-runs']);
const airflowMaxRuns = Number(values['airflow-max-runs']);
const airflowVariants = values['airflow-mode'].split(',') as AirflowVariant[];
if (airflowVariants.some((v) => !AIRFLOW_VARIANTS.includes(v))) {
  console.error(
    `--airflow-mode: expected deferrable, classic or deferrable,classic (got "${values['airflow-mode']}")`,
  );
  process.exit(2);
}
const resultsDir = path.join(projectRoot, 'bench', 'results');
const base = quick ? 'quick' : 'full';
const outJson = path.resolve(values.out ?? path.join(resultsDir, `${base}.json`));
// The table and chart go next to the JSON, under its name: a partial run cannot overwrite the full one's.
const outStem = outJson.replace(/\.json$/, '');
const modes = (values.modes ?? 'webhook,poll').split(',') as Array<'webhook' | 'poll'>;
if (modes.length === 0 || modes.some((m) => m !== 'webhook' && m !== 'poll')) {
  console.error(`--modes: expected webhook, poll or webhook,poll (got "${values.modes}")`);
  process.exit(2);
}
// The worker's own rule (LAKELOOP_MAX_CACHED_WORKFLOWS), so the bench measures only what it accepts.
const cacheOption = values['max-cached-workflows'];
const cacheParsed = cacheOption === undefined ? undefined : maxCachedWorkflowsSchema.safeParse(cacheOption);
if (cacheParsed && !cacheParsed.success) {
  console.error(`--max-cached-workflows: ${cacheParsed.error.issues[0]?.message} (got "${cacheOption}")`);
  process.exit(2);
}
const maxCachedWorkflows = cacheParsed?.data;
// --workers N: N worker processes (1 is one process, unlike the default worker in this process).
const workerCount = values.workers === undefined ? undefined : Number(values.workers);
if (workerCount !== undefined && !(Number.isInteger(workerCount) && workerCount >= 1 && workerCount <= 64)) {
  console.error(`--workers: expected a number of worker processes from 1 to 64 (got "${values.workers}")`);
  process.exit(2);
}
const list = scenarios(quick, values['time-scale'] ? Number(values['time-scale']) : undefined).filter(
  (s) => !values.only || values.only.split(',').includes(s.name),
);

const UNCOMPRESSED_NOTES = [
  `single-long-uncompressed: timeScale ${UNCOMPRESSED.timeScale} (real time unless --time-scale). Run lengths drawn from a log-normal (seeded; the draws are in the JSON under "draws"); the emulator hands them out in the order the runs start (a scenario rule's durationsMs), so every arm gets the same lengths. Before the measured window each emulator but the cold-start one holds ${UNCOMPRESSED.historyRuns} earlier successful one-time runs named "bench" (POST /__emulator/runs/import, a day apart, lengths drawn from the same log-normal with the next seed), as a workspace where the job has run before.`,
  'single-long-uncompressed arms run at once, each on its own emulator process, so API calls are per arm; lakeloop/poll (prediction) is the worker default (LAKELOOP_POLL_PREDICTION unset), (no-prediction) is LAKELOOP_POLL_PREDICTION=off (the ×1.5 back-off alone), (cold-start) is the default on a workspace without the earlier runs. Each arm has its own worker (own runs/list cache, 10 min TTL). peakRssMb, cpuSeconds and workflowCache of the Lakeloop arms are of the one bench process over overlapping windows, so they are shared, not per arm.',
];

const WEBHOOK = { username: 'databricks', password: 'bench-webhook-password' };
const cli = resolveTemporalBinary('cli');
console.log(cli.summary);
// Worker state changes, bundler output and workflow logs would drown the figures; warnings still show.
// The runtime's Prometheus endpoint gives the workflow cache's evictions and misses per scenario.
const runtimeMetricsAddr = `127.0.0.1:${await freePort()}`;
Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { metrics: { prometheus: { bindAddress: runtimeMetricsAddr } } },
});
const began = performance.now();
const loadAtStart = os.loadavg().map((l) => round(l, 2));
// Bundled in a child process, as the Dockerfile pre-bundles for production: webpack's heap would
// otherwise stay in this process's RSS and be counted as the worker's.
const bundlePath = path.join(os.tmpdir(), `lakeloop-bench-bundle-${process.pid}.js`);
execFileSync(
  process.execPath,
  ['--import', 'tsx', path.join(projectRoot, 'scripts/build-workflow-bundle.ts'), bundlePath],
  {
    cwd: projectRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const cleanup = new Cleanup();
/** The Temporal server the arms use: a dev server (default) or the real cluster (--cluster). */
async function startTemporal(): Promise<{
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  namespace: string;
  processes: Watched[];
  summary: string;
}> {
  if (!values.cluster) {
    // Headless: the bench opens no UI.
    const { env, server } = await startEphemeralTemporal(cleanup, { cli, uiPort: false });
    const pid = server?.process().child.pid;
    return {
      address: env.address,
      client: env.client,
      nativeConnection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      processes: pid ? [{ name: 'temporal dev server', pid }] : [],
      summary: cli.summary,
    };
  }
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-bench-cluster-'));
  // As root, PostgreSQL runs as `postgres`, which must reach <stateDir>/postgres (mkdtemp makes 0700).
  chmodSync(stateDir, 0o711);
  cleanup.add('cluster state dir', () => rmSync(stateDir, { recursive: true, force: true }));
  const cluster = await startTemporalCluster({
    stateDir,
    port: 0,
    keepData: false,
    log: (l) => console.log(l),
  });
  cleanup.add('temporal cluster', () => cluster.stop());
  const connection = await Connection.connect({ address: cluster.address });
  cleanup.add('temporal client connection', () => connection.close());
  const nativeConnection = await NativeConnection.connect({ address: cluster.address });
  cleanup.add('temporal worker connection', () => nativeConnection.close());
  return {
    address: cluster.address,
    client: new Client({ connection, namespace: CLUSTER_NAMESPACE }),
    nativeConnection,
    namespace: CLUSTER_NAMESPACE,
    processes: [
      { name: 'temporal-server', pid: cluster.process().child.pid! },
      // The postmaster and its backends (one per connection), by proportional set size.
      { name: 'postgres', pid: cluster.postgres.process.child.pid!, tree: true },
    ],
    summary: `temporal-server ${cluster.build.version} (built from source, cached) on PostgreSQL`,
  };
}
const temporal = await startTemporal();
const compiledWorker = workerCount !== undefined ? compileWorker() : undefined;
if (compiledWorker) cleanup.add('compiled worker', () => compiledWorker.remove());
// As in `npm run worker` with LAKELOOP_WEBHOOK_PORT: the receiver beside the worker reads its submissions.
// (With --workers each worker process has its own.)
const runDirectory = new RunDirectory();
const receiver = await startWebhookReceiver({
  client: temporal.client,
  host: '127.0.0.1',
  port: 0,
  runDirectory,
  ...WEBHOOK,
});
cleanup.add('webhook receiver', () => receiver.close());
const python = values.prefect ? await ensurePrefectVenv() : undefined;
const airflowPython = values.airflow ? await ensureAirflowVenv() : undefined;
const peerProblems: string[] = [];
/** What the Airflow peer reported about the defaults it applied (the same for every scenario). */
const airflowNotes = new Set<string>();
const results: ScenarioResult[] = [];

/**
 * One peer row: skipped above its run limit, and a peer that crashes or times out is a note, not a
 * row. Returns the row (undefined when there is none); the caller adds it to the results.
 */
async function peerRow(
  label: string,
  scenario: Scenario,
  maxRuns: { flag: string; value: number; why: string },
  bench: () => Promise<ScenarioResult>,
): Promise<ScenarioResult | undefined> {
  if (scenario.runs > maxRuns.value) {
    const problem = `${label} ${scenario.name}: not run — above ${maxRuns.flag} ${maxRuns.value} (${maxRuns.why})`;
    console.log(`  ${problem}`);
    peerProblems.push(problem);
    return undefined;
  }
  console.log(`▶ ${scenario.name} (${scenario.runs} runs, timeScale ${scenario.timeScale}) ${label}`);
  try {
    const result = await bench();
    console.log(`  ${label}: ${JSON.stringify(result)}`);
    return result;
  } catch (error) {
    const problem = `${label} ${scenario.name}: ${(error as Error).message.split('\n')[0]}`;
    console.log(`  ${problem}`);
    peerProblems.push(problem);
    return undefined;
  }
}

const lakeloopContext: LakeloopContext = {
  client: temporal.client,
  connection: temporal.nativeConnection,
  namespace: temporal.namespace,
  temporalAddress: temporal.address,
  temporal: values.cluster ? 'cluster' : 'dev-server',
  serverProcesses: temporal.processes,
  ...(compiledWorker && workerCount !== undefined
    ? { workerProcesses: { count: workerCount, compiled: compiledWorker } }
    : {}),
  workflowBundlePath: bundlePath,
  webhook: { url: receiver.url, ...WEBHOOK },
  runDirectory,
  receiver,
  maxCachedWorkflows,
  runtimeMetricsUrl: `http://${runtimeMetricsAddr}/metrics`,
};

async function lakeloopRow(scenario: Scenario, arm: LakeloopArm): Promise<ScenarioResult> {
  console.log(`▶ ${scenario.name} (${scenario.runs} runs, timeScale ${scenario.timeScale}) ${armLabel(arm)}`);
  const result = await benchLakeloop(lakeloopContext, scenario, arm);
  console.log(`  ${armLabel(arm)}: ${JSON.stringify(result)}`);
  return result;
}

/** The peers asked for, one row factory each, in report order. */
function peerRows(scenario: Scenario): Array<() => Promise<ScenarioResult | undefined>> {
  const rows: Array<() => Promise<ScenarioResult | undefined>> = [];
  if (python) {
    rows.push(() =>
      peerRow(
        'prefect/poll',
        scenario,
        {
          flag: '--prefect-max-runs',
          value: prefectMaxRuns,
          why: `one Python process with ${scenario.runs} concurrent subflows on Prefect's ephemeral SQLite server; see the fan-out-1000 row for how it fares at 1,000`,
        },
        () => benchPrefect(python, scenario),
      ),
    );
  }
  if (airflowPython) {
    for (const variant of airflowVariants) {
      rows.push(() =>
        peerRow(
          `airflow/${variant}`,
          scenario,
          {
            flag: '--airflow-max-runs',
            value: airflowMaxRuns,
            why: `one Python process driving ${scenario.runs} operators; Airflow's default triggerer capacity is 1,000 triggers`,
          },
          async () => {
            const { result, notes } = await benchAirflow(airflowPython, scenario, variant);
            for (const note of notes) airflowNotes.add(note);
            return result;
          },
        ),
      );
    }
  }
  return rows;
}

/**
 * The uncompressed scenario: every arm at once, each on its own emulator (so each arm's API calls are
 * its own), in this one invocation. Rows are reported in arm order whatever order they finish in; a
 * Lakeloop arm that throws fails the bench once the other arms have finished.
 */
async function concurrentArms(scenario: Scenario): Promise<void> {
  const arms: LakeloopArm[] = [
    ...(modes.includes('webhook') ? [{ mode: 'webhook' as const }] : []),
    ...(modes.includes('poll')
      ? PREDICTION_VARIANTS.map((variant) => ({ mode: 'poll' as const, variant }))
      : []),
  ];
  const settled = await Promise.allSettled([
    ...arms.map((arm) => lakeloopRow(scenario, arm)),
    ...peerRows(scenario).map((row) => row()),
  ]);
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled' && outcome.value) results.push(outcome.value);
  }
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
}

try {
  for (const scenario of list) {
    if (scenario.predictionArms) {
      await concurrentArms(scenario);
      continue;
    }
    for (const mode of modes) results.push(await lakeloopRow(scenario, { mode }));
    for (const row of peerRows(scenario)) {
      const result = await row();
      if (result) results.push(result);
    }
  }
} finally {
  await cleanup.stop();
}

const drawn = list.flatMap((scenario) =>
  scenario.spread
    ? [
        [
          scenario.name,
          {
            spread: scenario.spread,
            runLengthsMs: runLengths(scenario) ?? [],
            historyLengthsMs: historyLengths(scenario),
          },
        ] as const,
      ]
    : [],
);
const report: BenchReport = {
  machine: {
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    temporal: temporal.summary,
    date: new Date().toISOString(),
    // Figures from a busy machine are not comparable with an idle one's: say how busy it was.
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
  },
  quick,
  notes: [
    'Lakeloop runs databricksRun with the default wait settings of each mode (poll 5 s growing ×1.5 to 60 s; webhook with a 5 min safety net).',
    'Lakeloop worker: the production worker (createLakeloopWorker) with the SDK default worker options (cache size, task slots), as `npm run worker` runs; only its Databricks request budget is lifted (production default 20 requests/s, burst 40) so the figures show the orchestrator rather than the budget.',
    'Emulated run time is compressed by the emulator timeScale; Lakeloop timers and polls run in real time. Real run length = emulated / timeScale.',
    'detectionLatencyMs: emulator wall-clock ended_at_ms → receive time of the first terminal runs/get response in the worker (webhook: the confirming runs/get after the notification).',
    workerCount === undefined
      ? 'peakRssMb / cpuSeconds: the bench process = worker + Temporal client + webhook receiver (emulator and Temporal server are separate processes, not counted).'
      : `--workers ${workerCount}: the Lakeloop worker runs as ${workerCount} processes (src/worker.ts compiled, as \`node lib/src/worker.js\`), each with the webhook receiver inside it (LAKELOOP_WEBHOOK_PORT) behind one round-robin HTTP front named by the notification destination (scripts/lib/round-robin-front.ts), so a run's notifications reach any receiver; the bench process only starts workflows and observes. Row peakRssMb is the largest worker's peak VmRSS over the measured window and cpuSeconds the workers' utime+stime over it, summed (per worker under "workers", with cpuMsPerRun = a worker's CPU / the scenario's runs). detectionLatencyMs is observed inside each worker (bench/worker-observer.ts, preloaded).`,
    "server: the Temporal server's processes over the measured window — the dev server (one process), or with --cluster temporal-server (VmRSS peak) and PostgreSQL (the postmaster and its backends: summed Pss peak; CPU including backends that exited). runsPerSecond: started = runs / time until every start was accepted; completed = completed runs / wall time.",
    'apiCallsByEndpoint: GET /__emulator/stats request-count deltas over the measured window, divided by runs.',
    python
      ? `Prefect peer: ${PREFECT_REQUIREMENTS.join(', ')}, jobs_runs_submit_and_wait_for_completion with defaults (10 s polls); only change: its hard-coded https:// base URL rewritten to http:// for the emulator. Its RSS/CPU are the flow process's (getrusage), not the ephemeral Prefect API server's; no Temporal history, so historyEventsPerRun is null.`
      : 'Prefect peer not run (pass --prefect).',
    airflowPython
      ? `Airflow peer: ${AIRFLOW_REQUIREMENTS.join(', ')}, DatabricksSubmitRunOperator with its defaults (30 s polls), ${airflowVariants.join(' and ')}, driven standalone: no scheduler, executor processes or metadata DB (connection from AIRFLOW_CONN_DATABRICKS_DEFAULT, XComs in memory); ${[...airflowNotes].join('; ')}. The provider is unchanged (its async client sends runs/get's parameters as a JSON body on a GET, which the emulator reads as Databricks does). One-time imports and initialisations are made before the clock (each Airflow task has a process of its own; 32 threads making them at once deadlocked). Its RSS/CPU are the one peer process's (getrusage), a lower bound for a deployment (scheduler, triggerer, a process per running task, DB); historyEventsPerRun is null.`
      : 'Airflow peer not run (pass --airflow).',
    ...(list.some((s) => s.predictionArms) ? UNCOMPRESSED_NOTES : []),
    ...peerProblems,
  ],
  ...(drawn.length > 0 ? { draws: Object.fromEntries(drawn) } : {}),
  scenarios: results,
};
const table = markdownTable(results);
mkdirSync(path.dirname(outJson), { recursive: true });
writeFileSync(outJson, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(
  `${outStem}.md`,
  `# Lakeloop benchmark (${base})\n\n${table}\n${report.notes.map((n) => `- ${n}`).join('\n')}\n`,
);
writeFileSync(`${outStem}.svg`, svgChart(results));
console.log(`\n${table}`);
console.log(
  `wrote ${path.relative(projectRoot, outJson)}, ${path.relative(projectRoot, outStem)}.md and .svg in ${Math.round((performance.now() - began) / 1000)} s`,
);

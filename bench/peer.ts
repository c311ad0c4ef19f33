/**
 * What the Python peers (bench/prefect.ts, bench/airflow.ts) share: a venv with pinned packages that
 * the bench creates once under .tools/ (git-, eslint- and prettier-ignored), and one scenario run — a
 * fresh emulator process with the same scenario rule as Lakeloop's, the peer script spawned against
 * it, its last stdout line parsed, and the figures computed as for Lakeloop: API calls per run from
 * the emulator's stats, detection latency from the emulator's wall-clock end of each run.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../scripts/lib/temporal-cli.js';
import { requestCounts, startEmulatorProcess, detectionLatencies } from './emulator-process.js';
import { lengthSummary, percentile, perRun, round, type ScenarioResult } from './output.js';
import { longestRealRunMs, runLengths, type Scenario } from './scenarios.js';
import { prepareWorkspace } from './workspace-setup.js';

const run = promisify(execFile);

/**
 * Creates the venv and installs the pinned packages once; a marker file named after the requirements
 * records what is installed, so changing a pin reinstalls.
 */
export async function ensureVenv(venv: string, requirements: readonly string[]): Promise<string> {
  const python = path.join(venv, 'bin', 'python');
  const marker = path.join(venv, `.bench-${requirements.join('+')}`);
  if (existsSync(marker)) return python;
  console.log(`installing ${requirements.join(' ')} into ${path.relative(projectRoot, venv)}/`);
  if (!existsSync(python)) await run('python3', ['-m', 'venv', venv]);
  await run(python, ['-m', 'pip', 'install', '-q', ...requirements], { maxBuffer: 64 << 20 });
  mkdirSync(path.dirname(marker), { recursive: true });
  await run('touch', [marker]);
  return python;
}

/** The last stdout line of a peer script. */
interface PeerOutput {
  completed: number;
  failed: number;
  wallSeconds: number;
  /** Databricks run id → wall-clock ms of the first runs/get response showing it terminal. */
  observedAt: Record<string, number>;
  peakRssMb: number;
  cpuSeconds: number;
  /** Up to 5 distinct reasons runs failed. */
  errors: string[];
  /** What the peer found about its own set-up (e.g. the defaults it applied). */
  notes?: string[];
}

/**
 * A peer run that has not finished after this long is killed and reported as not finished; for runs
 * that are long in real time (the uncompressed scenario), the longest run plus ten minutes.
 */
export const PEER_TIMEOUT_MS = 15 * 60_000;

export function peerTimeoutMs(scenario: Scenario): number {
  return Math.max(PEER_TIMEOUT_MS, longestRealRunMs(scenario) + 10 * 60_000);
}

export interface PeerSpec {
  system: Exclude<ScenarioResult['system'], 'lakeloop'>;
  /** The peer's way of waiting, when it has more than one (ScenarioResult.variant). */
  variant?: ScenarioResult['variant'];
  /** The script under bench/. */
  script: string;
  /** The PAT the emulator accepts and the peer is given. */
  pat: string;
  args: (emulatorUrl: string) => string[];
  env: (emulatorUrl: string) => NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function runPeer(
  python: string,
  spec: PeerSpec,
  emulatorUrl: string,
  scenario: Scenario,
): Promise<PeerOutput> {
  const child = spawn(python, [path.join(projectRoot, 'bench', spec.script), ...spec.args(emulatorUrl)], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: spec.timeoutMs ?? peerTimeoutMs(scenario),
    env: { ...process.env, ...spec.env(emulatorUrl) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as PeerOutput);
      } catch {
        // The spawn timeout ends the peer with SIGTERM.
        const how = code !== null ? `with ${code}` : signal === 'SIGTERM' ? 'on timeout' : `on ${signal}`;
        reject(new Error(`${spec.system} peer exited ${how}: ${stderr.slice(-2000)}`));
      }
    });
  });
}

/** One scenario against a peer: its result row and the notes the peer printed. */
export async function benchPeer(
  python: string,
  spec: PeerSpec,
  scenario: Scenario,
): Promise<{ result: ScenarioResult; notes: string[] }> {
  const emulator = await startEmulatorProcess(spec.pat, scenario.timeScale);
  try {
    // The same workspace as Lakeloop's poll arms: with the job's history when the scenario has one.
    await prepareWorkspace(emulator.url, scenario, { history: true });
    const before = await requestCounts(emulator.url);
    const out = await runPeer(python, spec, emulator.url, scenario);
    const after = await requestCounts(emulator.url);
    for (const error of out.errors) console.log(`  ${spec.system} failure: ${error}`);
    const latencies = await detectionLatencies(emulator.url, Object.entries(out.observedAt));
    const calls = perRun(before, after, scenario.runs);
    const result: ScenarioResult = {
      name: scenario.name,
      system: spec.system,
      mode: 'poll',
      ...(spec.variant ? { variant: spec.variant } : {}),
      runs: scenario.runs,
      emulatedRunMs: scenario.durationMs,
      ...lengthSummary(runLengths(scenario)),
      timeScale: scenario.timeScale,
      apiCallsPerRun: calls.total,
      apiCallsByEndpoint: calls.byEndpoint,
      detectionLatencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      historyEventsPerRun: null,
      peakRssMb: round(out.peakRssMb, 1),
      cpuSeconds: round(out.cpuSeconds, 2),
      completed: out.completed,
      failed: out.failed,
      wallSeconds: round(out.wallSeconds, 1),
    };
    return { result, notes: out.notes ?? [] };
  } finally {
    await emulator.stop();
  }
}

/**
 * The peer: Prefect 3 + prefect-databricks (pinned below) in a venv the bench creates under
 * .tools/venv-bench/ (git-, eslint- and prettier-ignored), running `bench/prefect_peer.py` — the
 * library's own `jobs_runs_submit_and_wait_for_completion` flow with its defaults (10 s polls) —
 * against a fresh emulator process with the same scenario rule as Lakeloop.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../scripts/lib/temporal-cli.js';
import {
  control,
  requestCounts,
  startEmulatorProcess,
  stopEmulatorProcess,
  type EmulatedRunTimes,
} from './emulator-process.js';
import { pool } from './observer.js';
import { percentile, perRun, round, type ScenarioResult } from './output.js';
import type { Scenario } from './scenarios.js';

export const PREFECT_REQUIREMENTS = ['prefect==3.9.1', 'prefect-databricks==0.4.2'];
const VENV = path.join(projectRoot, '.tools', 'venv-bench');
const PAT = 'dapi-bench-prefect';
const run = promisify(execFile);

/** Creates the venv and installs the pinned packages once (a marker file records what is installed). */
export async function ensurePrefectVenv(): Promise<string> {
  const python = path.join(VENV, 'bin', 'python');
  const marker = path.join(VENV, `.bench-${PREFECT_REQUIREMENTS.join('+')}`);
  if (existsSync(marker)) return python;
  console.log(`installing ${PREFECT_REQUIREMENTS.join(' ')} into ${path.relative(projectRoot, VENV)}/`);
  if (!existsSync(python)) await run('python3', ['-m', 'venv', VENV]);
  await run(python, ['-m', 'pip', 'install', '-q', ...PREFECT_REQUIREMENTS], { maxBuffer: 64 << 20 });
  mkdirSync(path.dirname(marker), { recursive: true });
  await run('touch', [marker]);
  return python;
}

interface PeerOutput {
  completed: number;
  failed: number;
  wallSeconds: number;
  observedAt: Record<string, number>;
  peakRssMb: number;
  cpuSeconds: number;
  /** Up to 5 distinct reasons runs failed. */
  errors: string[];
}

/** A peer run that has not finished after this long is killed and reported as not finished. */
const PEER_TIMEOUT_MS = 15 * 60_000;

function runPeer(python: string, args: string[]): Promise<PeerOutput> {
  const child = spawn(python, [path.join(projectRoot, 'bench', 'prefect_peer.py'), ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: PEER_TIMEOUT_MS,
    env: {
      ...process.env,
      PREFECT_HOME: path.join(os.tmpdir(), `lakeloop-bench-prefect-${process.pid}`),
      PREFECT_LOGGING_LEVEL: 'WARNING',
      PREFECT_SERVER_ANALYTICS_ENABLED: 'false',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as PeerOutput);
      } catch {
        reject(new Error(`prefect peer exited ${code ?? 'on timeout'}: ${stderr.slice(-2000)}`));
      }
    });
  });
}

export async function benchPrefect(python: string, scenario: Scenario): Promise<ScenarioResult> {
  const emulator = await startEmulatorProcess(PAT, scenario.timeScale);
  try {
    await control(emulator.url, 'POST', '/scenarios', {
      match: { runName: 'bench' },
      durationMs: scenario.durationMs,
    });
    const before = await requestCounts(emulator.url);
    const out = await runPeer(python, [
      new URL(emulator.url).host,
      PAT,
      String(scenario.runs),
      scenario.launch,
    ]);
    const after = await requestCounts(emulator.url);
    for (const error of out.errors) console.log(`  prefect failure: ${error}`);
    const latencies: number[] = [];
    await pool(Object.entries(out.observedAt), 50, async ([runId, observedAt]) => {
      const times = await control<EmulatedRunTimes>(emulator.url, 'GET', `/runs/${runId}`);
      if (typeof times.ended_at_ms === 'number') latencies.push(Math.round(observedAt - times.ended_at_ms));
    });
    const calls = perRun(before, after, scenario.runs);
    return {
      name: scenario.name,
      system: 'prefect',
      mode: 'poll',
      runs: scenario.runs,
      emulatedRunMs: scenario.durationMs,
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
  } finally {
    await stopEmulatorProcess(emulator);
  }
}

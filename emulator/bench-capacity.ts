/**
 * Capacity check for the emulator as a separate process:
 *  1. `npm run emulator` start-up time (spawn → "emulator listening on …"), several trials;
 *  2. 10,000 concurrent one-task runs with a 60 s scenario duration, submitted through the API;
 *  3. runs/get sampled while they are all active, checked for correctness, with latency;
 *  4. the emulator process's RSS, and (unless --no-wait) every run finishing SUCCESS.
 *
 *   tsx emulator/bench-capacity.ts [--runs 10000] [--duration-ms 60000] [--samples 1000] [--no-wait]
 *
 * Not a Jest test: timings depend on the machine, so this prints figures instead of asserting them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PAT = 'dapi-bench-capacity';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    'duration-ms': { type: 'string', default: '60000' },
    samples: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '64' },
    'startup-trials': { type: 'string', default: '3' },
    'no-wait': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const DURATION_MS = Number(values['duration-ms']);
const SAMPLES = Number(values.samples);
const CONCURRENCY = Number(values.concurrency);

interface Started {
  child: ChildProcess;
  url: string;
  startupMs: number;
}

/** Spawn in its own process group (npm → sh → tsx → node) so the whole tree can be stopped by id. */
function start(command: string, args: string[]): Promise<Started> {
  const began = performance.now();
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (match) resolve({ child, url: match[1]!, startupMs: performance.now() - began });
    });
    child.once('exit', (code) => reject(new Error(`emulator exited early with ${code}`)));
  });
}

async function stop(started: Started): Promise<void> {
  const exited = new Promise((resolve) => started.child.once('exit', resolve));
  process.kill(-started.child.pid!, 'SIGTERM');
  await exited;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** A JSON answer; the fields this script reads are checked where they are used. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies of several endpoints
type Json = any;

async function call(url: string, method: string, pathname: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${PAT}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json: Json = await response.json();
  if (response.status !== 200)
    throw new Error(`${method} ${pathname}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const indices = (count: number) => Array.from({ length: count }, (_, i) => i);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  // 1. Start-up of `npm run emulator`, as a user would run it.
  const startups: number[] = [];
  for (let i = 0; i < Number(values['startup-trials']); i++) {
    const started = await start('npm', ['run', '--silent', 'emulator', '--', '--port', '0', '--pat', PAT]);
    startups.push(started.startupMs);
    await stop(started);
  }
  console.log(`npm run emulator start-up: ${startups.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);

  // 2. The capacity run, with the node process itself as the child so its RSS is the emulator's.
  const emulator = await start(process.execPath, [
    '--import',
    'tsx',
    'emulator/main.ts',
    '--port',
    '0',
    '--pat',
    PAT,
  ]);
  const pid = emulator.child.pid!;
  try {
    const idleRss = rssMb(pid);
    await call(emulator.url, 'POST', '/__emulator/scenarios', { durationMs: DURATION_MS });
    const submitStarted = performance.now();
    const runIds = await pLimit(CONCURRENCY).map(indices(RUNS), async (i) => {
      const { run_id: runId } = await call(emulator.url, 'POST', '/api/2.1/jobs/runs/submit', {
        run_name: `bench-${i}`,
        tasks: [{ task_key: 'work', notebook_task: { notebook_path: '/Workspace/bench' } }],
      });
      return runId as number;
    });
    const submitSeconds = (performance.now() - submitStarted) / 1000;
    const afterSubmit = await call(emulator.url, 'GET', '/__emulator/stats');
    console.log(
      `submitted ${RUNS} runs in ${submitSeconds.toFixed(1)} s (${(RUNS / submitSeconds).toFixed(0)}/s); ` +
        `active now: ${afterSubmit.runs.active}`,
    );
    if (afterSubmit.runs.active !== RUNS)
      throw new Error(`expected ${RUNS} active runs, got ${afterSubmit.runs.active}`);

    // 3. runs/get under full load: every sampled answer must be the right run, active, with its task.
    const latencies = await pLimit(16).map(indices(SAMPLES), async (i) => {
      const index = Math.floor((i * 7919) % RUNS);
      const runId = runIds[index]!;
      const began = performance.now();
      const run = await call(emulator.url, 'GET', `/api/2.2/jobs/runs/get?run_id=${runId}`);
      const elapsed = performance.now() - began;
      const active = ['PENDING', 'RUNNING'].includes(run.state.life_cycle_state);
      if (run.run_id !== runId || run.run_name !== `bench-${index}` || run.tasks?.length !== 1 || !active) {
        throw new Error(`runs/get ${runId} answered wrongly: ${JSON.stringify(run).slice(0, 300)}`);
      }
      return elapsed;
    });
    latencies.sort((a, b) => a - b);
    const loadedRss = rssMb(pid);
    console.log(
      `runs/get x${SAMPLES} while ${RUNS} runs active: all correct; ` +
        `p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
    );
    console.log(
      `emulator RSS: idle ${idleRss.toFixed(0)} MB, with ${RUNS} active runs ${loadedRss.toFixed(0)} MB`,
    );

    // 4. Every run finishes, on time, with the scripted result.
    let finishSeconds: number | undefined;
    let peakRss = loadedRss;
    if (!values['no-wait']) {
      const deadline = Date.now() + DURATION_MS * 2 + 60_000;
      for (;;) {
        const stats = await call(emulator.url, 'GET', '/__emulator/stats');
        peakRss = Math.max(peakRss, rssMb(pid));
        if (stats.runs.active === 0) {
          if (stats.runs.byResultState.SUCCESS !== RUNS)
            throw new Error(`results: ${JSON.stringify(stats.runs)}`);
          finishSeconds = (performance.now() - submitStarted) / 1000;
          break;
        }
        if (Date.now() > deadline) throw new Error(`runs still active: ${JSON.stringify(stats.runs)}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      console.log(
        `all ${RUNS} runs finished SUCCESS ${finishSeconds.toFixed(1)} s after the first submit; peak RSS ${peakRss.toFixed(0)} MB`,
      );
    }
    console.log(
      JSON.stringify({
        startupMs: startups.map((ms) => Math.round(ms)),
        runs: RUNS,
        durationMs: DURATION_MS,
        submitPerSecond: Math.round(RUNS / submitSeconds),
        runsGetP50Ms: Number(percentile(latencies, 50).toFixed(2)),
        runsGetP99Ms: Number(percentile(latencies, 99).toFixed(2)),
        rssIdleMb: Math.round(idleRss),
        rssLoadedMb: Math.round(loadedRss),
        rssPeakMb: Math.round(peakRss),
        ...(finishSeconds !== undefined ? { allFinishedAfterS: Number(finishSeconds.toFixed(1)) } : {}),
      }),
    );
  } finally {
    await stop(emulator);
  }
}

main().catch((error: unknown) => {
  console.error(`bench-capacity: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

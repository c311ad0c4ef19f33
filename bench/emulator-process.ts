/**
 * The emulator as a separate process (`node --import tsx emulator/main.ts`), so the bench process's
 * RSS and CPU are the worker's (plus the bench driver and webhook receiver), not the emulator's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pLimit from 'p-limit';
import { projectRoot } from '../scripts/lib/temporal-cli.js';

export interface EmulatorProcess {
  url: string;
  pat: string;
  child: ChildProcess;
}

export async function startEmulatorProcess(pat: string, timeScale: number): Promise<EmulatorProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(projectRoot, 'emulator', 'main.ts'),
      '--port',
      '0',
      '--pat',
      pat,
      '--time-scale',
      String(timeScale),
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited early with ${code}`)));
  });
  return { url, pat, child };
}

export async function stopEmulatorProcess(emulator: EmulatorProcess): Promise<void> {
  if (emulator.child.exitCode !== null) return;
  const exited = new Promise((resolve) => emulator.child.once('exit', resolve));
  process.kill(-emulator.child.pid!, 'SIGTERM');
  await exited;
}

/** The control API (`/__emulator/…`): no token, not counted in stats. */
export async function control<T>(url: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/__emulator${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} /__emulator${route}: ${response.status}`);
  return (await response.json()) as T;
}

/** A Databricks API call made by the bench itself (setup only; done before the stats baseline). */
export async function api<T>(emulator: EmulatorProcess, route: string, body: unknown): Promise<T> {
  const response = await fetch(`${emulator.url}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.pat}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function requestCounts(url: string): Promise<Record<string, number>> {
  return (await control<{ requests: Record<string, number> }>(url, 'GET', '/stats')).requests;
}

interface EmulatedRunTimes {
  created_at_ms?: number;
  ended_at_ms?: number | null;
}

/**
 * Detection latency of each observed run, the same for Lakeloop and every peer: the emulator's
 * wall-clock end of the run → the wall-clock ms at which the orchestrator first received a terminal
 * runs/get for it. Runs the emulator has no end for are left out.
 */
export async function detectionLatencies(
  url: string,
  observedAt: Iterable<[number | string, number]>,
): Promise<number[]> {
  const latencies: number[] = [];
  await pLimit(50).map([...observedAt], async ([runId, at]) => {
    const times = await control<EmulatedRunTimes>(url, 'GET', `/runs/${runId}`);
    if (typeof times.ended_at_ms === 'number') latencies.push(Math.round(at - times.ended_at_ms));
  });
  return latencies;
}

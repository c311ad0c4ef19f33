/**
 * The emulator as a separate process (`node --import tsx emulator/main.ts`), so the bench process's
 * RSS and CPU are the worker's (plus the bench driver and webhook receiver), not the emulator's.
 */
import pLimit from 'p-limit';
import { startEmulatorProcess as startEmulator } from '../scripts/lib/local-stack.js';

export interface EmulatorProcess {
  url: string;
  pat: string;
  /** SIGTERM to the emulator's process group; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Each emulator this process starts hands out run ids from a range of its own: arms that run at once
 * share one webhook receiver, whose run directory is keyed by run id, and one Temporal namespace,
 * whose DatabricksRunId lookups must not find another arm's workflow. (One workspace never repeats a
 * run id; two emulators started alike would.)
 */
const FIRST_RUN_ID = 500_000_000_001;
const RUN_ID_RANGE = 10_000_000_000;
let emulatorsStarted = 0;

/** Its stderr passes through to the bench's; its stdout is kept only for error messages. */
export async function startEmulatorProcess(pat: string, timeScale: number): Promise<EmulatorProcess> {
  const firstRunId = FIRST_RUN_ID + emulatorsStarted++ * RUN_ID_RANGE;
  const emulator = await startEmulator(
    ['--port', '0', '--pat', pat, '--time-scale', String(timeScale), '--first-run-id', String(firstRunId)],
    { echo: 'stderr', readyTimeoutMs: 60_000 },
  );
  return { url: emulator.url, pat, stop: emulator.stop };
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

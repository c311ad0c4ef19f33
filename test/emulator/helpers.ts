/**
 * Helpers for emulator tests: an in-process emulator on port 0, a tiny JSON client for its API and
 * control API, and polling with a deadline (never fixed sleeps).
 */
import { randomInt } from 'node:crypto';
import { FIRST_RUN_ID } from '../../emulator/ids.js';
import type { EmulatorHandle } from '../../emulator/server.js';
import { startEmulator } from '../../emulator/server.js';
import type { EmulatorOptions } from '../../emulator/options.js';
import { openTestOutput, recordTestSecret } from '../helpers/secrets-ledger.js';

export const PAT = 'dapi-emulator-test-token';

export interface ApiResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestEmulator {
  handle: EmulatorHandle;
  url: string;
  /** A Jobs API call with the test PAT (pass token: null to send none). */
  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null },
  ): Promise<ApiResult<T>>;
  /** A control API call (/__emulator/…); throws unless it answers 200. */
  control<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const pats = options.pats ?? [PAT];
  for (const pat of pats) recordTestSecret('an emulator PAT', pat);
  for (const sp of options.servicePrincipals ?? [])
    recordTestSecret(`the secret of service principal ${sp.applicationId}`, sp.secret);
  // What the emulator logs (internal errors only, unless verbose) is swept for secrets too.
  const logOutput = options.log ? undefined : openTestOutput('in-process emulator log');
  const handle = await startEmulator({
    pats,
    log: (line) => logOutput?.(`${line}\n`),
    // Its own run-id range: the suite's emulators share one Temporal server, where the receiver's
    // fallback lookup by DatabricksRunId must not find another test file's workflow.
    firstRunId: FIRST_RUN_ID + randomInt(0, 1_000_000) * 100_000,
    ...options,
    onTokenIssued: (token, record) => {
      recordTestSecret(`an emulator ${record.kind} token`, token);
      options.onTokenIssued?.(token, record);
    },
  });
  const api = async <T>(
    method: string,
    path: string,
    body?: unknown,
    callOptions: { token?: string | null } = {},
  ): Promise<ApiResult<T>> => {
    const token = callOptions.token === undefined ? PAT : callOptions.token;
    if (/\/notification-destinations/.test(path)) recordDestinationPassword(body);
    const response = await fetch(`${handle.url}${path}`, {
      method,
      headers: {
        ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : undefined) as T,
      headers: response.headers,
    };
  };
  return {
    handle,
    url: handle.url,
    api,
    control: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const result = await api<T>(method, `/__emulator${path}`, body, { token: null });
      if (result.status !== 200)
        throw new Error(`${method} ${path}: ${result.status} ${JSON.stringify(result.body)}`);
      return result.body;
    },
    close: () => handle.close(),
  };
}

/** A webhook destination's Basic password, as a test creates or updates it through the API. */
function recordDestinationPassword(body: unknown): void {
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return; // a malformed request body the emulator rejects: no destination is created
    }
  }
  const config = (body as { config?: { generic_webhook?: { password?: unknown } } } | undefined)?.config;
  const password = config?.generic_webhook?.password;
  if (typeof password === 'string') recordTestSecret('a webhook destination password', password);
}

/** Poll `read` until `done` holds, or fail after `timeoutMs` with the last value seen. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  {
    timeoutMs = 15_000,
    intervalMs = 10,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const TERMINAL = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);

export async function getRun(emu: TestEmulator, runId: number | string, version = '2.2'): Promise<any> {
  const result = await emu.api('GET', `/api/${version}/jobs/runs/get?run_id=${runId}`);
  if (result.status !== 200)
    throw new Error(`runs/get ${runId}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

export function waitForTerminal(emu: TestEmulator, runId: number | string, timeoutMs = 15_000): Promise<any> {
  return waitFor(
    () => getRun(emu, runId),
    (run) => TERMINAL.has(run.state.life_cycle_state),
    { timeoutMs, what: `run ${runId} to finish` },
  );
}

export function waitForState(
  emu: TestEmulator,
  runId: number,
  lifeCycle: string,
  timeoutMs = 15_000,
): Promise<any> {
  return waitFor(
    () => getRun(emu, runId),
    (run) => run.state.life_cycle_state === lifeCycle,
    { timeoutMs, what: `run ${runId} to reach ${lifeCycle}` },
  );
}

export async function submit(emu: TestEmulator, body: Record<string, unknown>): Promise<number> {
  const result = await emu.api('POST', '/api/2.1/jobs/runs/submit', body);
  if (result.status !== 200) throw new Error(`submit: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.run_id as number;
}

export async function createJob(emu: TestEmulator, settings: Record<string, unknown>): Promise<number> {
  const result = await emu.api('POST', '/api/2.2/jobs/create', settings);
  if (result.status !== 200) throw new Error(`create: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.job_id as number;
}

export async function runNow(emu: TestEmulator, body: Record<string, unknown>): Promise<number> {
  const result = await emu.api('POST', '/api/2.2/jobs/run-now', body);
  if (result.status !== 200) throw new Error(`run-now: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.run_id as number;
}

/** A notebook task (scripted by scenario rules) with optional dependencies and run_if. */
export function task(
  key: string,
  dependsOn: string[] = [],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    task_key: key,
    notebook_task: { notebook_path: `/Workspace/tests/${key}` },
    ...(dependsOn.length > 0 ? { depends_on: dependsOn.map((k) => ({ task_key: k })) } : {}),
    ...extra,
  };
}

export function taskByKey(run: any, key: string): any {
  const found = (run.tasks as any[]).find((t) => t.task_key === key);
  if (!found) throw new Error(`run ${run.run_id} has no task ${key}`);
  return found;
}

/**
 * The chaos test's verdicts and report: what each workflow did against what its input dictates, which
 * notifications the receiver could not route and why, how each webhook wait ended, and the tables.
 */
import type { Client } from '@temporalio/client';
import type { RunResult } from '../../src/shared/run-types.js';
import type { ChaosCase } from './chaos-plan.js';
import type { ChaosStack } from './chaos-stack.js';

export type Actual =
  | { state: 'completed'; result: RunResult }
  | { state: 'failed'; result?: RunResult; error: string }
  | { state: 'stuck'; detail: string };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retries a call to Temporal while the dev server is down or restarting. */
export async function persistently<T>(what: string, call: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() + delay > deadline) throw new Error(`${what}: ${String(err)}`);
      await sleep(delay);
    }
  }
}

export function describeMismatch(c: ChaosCase, actual: Actual): string | undefined {
  if (actual.state === 'stuck') return `stuck: ${actual.detail}`;
  if (actual.state === 'failed' && !actual.result) return `failed unexpectedly: ${actual.error}`;
  const result = actual.result!;
  const problems: string[] = [];
  if ((actual.state === 'completed') !== c.expected.succeeded)
    problems.push(`${actual.state}, expected ${c.expected.succeeded ? 'completed' : 'failed'}`);
  if (result.outcome !== c.expected.outcome)
    problems.push(`outcome ${result.outcome}, expected ${c.expected.outcome}`);
  const kinds = result.attempts.map((a) => a.kind).join(',');
  if (kinds !== c.expected.attempts.join(','))
    problems.push(`attempts [${kinds}], expected [${c.expected.attempts.join(',')}]`);
  const runs = new Set(result.attempts.map((a) => a.runId)).size;
  if (runs !== c.expected.runsCreated) problems.push(`${runs} runs, expected ${c.expected.runsCreated}`);
  if (result.repairs !== c.expected.repairs)
    problems.push(`${result.repairs} repairs, expected ${c.expected.repairs}`);
  if (result.waitMode !== c.mode) problems.push(`waited by ${result.waitMode}, expected ${c.mode}`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * The notifications the receiver answered "unknown run", by why: the workflow had already closed (a
 * late duplicate or delayed delivery), the run had been superseded by a resubmission, or the workflow
 * was still open and that run was its last — a notification lost to the safety net.
 */
export function unroutedNotifications(
  stack: ChaosStack,
  cases: ChaosCase[],
  actuals: Map<string, Actual>,
  lifetimes: Map<string, Lifetime>,
  started: number,
): { afterClose: number; superseded: number; whileWaiting: string[] } {
  const owner = new Map<string, { workflowId: string; final: boolean }>();
  for (const c of cases) {
    const actual = actuals.get(c.workflowId);
    const attempts = actual && actual.state !== 'stuck' ? (actual.result?.attempts ?? []) : [];
    attempts.forEach((a, i) =>
      owner.set(a.runId, {
        workflowId: c.workflowId,
        final: attempts.slice(i).every((b) => b.runId === a.runId),
      }),
    );
  }
  // One delivery retries its lookup for a few seconds: consecutive misses for a run are one delivery.
  const lookups = [...stack.receiverLookups].sort(
    (a, b) => a.runId.localeCompare(b.runId) || a.atMs - b.atMs,
  );
  const unrouted: Array<{ runId: string; atMs: number }> = [];
  let current: { runId: string; atMs: number; lastMs: number; found: boolean } | undefined;
  const flush = () => {
    if (current && !current.found) unrouted.push({ runId: current.runId, atMs: current.atMs });
  };
  for (const lookup of lookups) {
    if (!current || current.runId !== lookup.runId || current.found || lookup.atMs - current.lastMs > 1_500) {
      flush();
      current = { runId: lookup.runId, atMs: lookup.atMs, lastMs: lookup.atMs, found: lookup.found };
    } else {
      current.lastMs = lookup.atMs;
      current.found ||= lookup.found;
    }
  }
  flush();
  const result = { afterClose: 0, superseded: 0, whileWaiting: [] as string[] };
  for (const { runId, atMs } of unrouted) {
    const run = owner.get(runId);
    const closed = run ? lifetimes.get(run.workflowId)?.closedMs : undefined;
    if (closed !== undefined && atMs >= closed) result.afterClose++;
    else if (run && !run.final) result.superseded++;
    else
      result.whileWaiting.push(
        `run ${runId} of ${run?.workflowId ?? '(no workflow)'}: looked up at ${((atMs - started) / 1000).toFixed(1)} s, ` +
          `workflow closed at ${closed !== undefined ? ((closed - started) / 1000).toFixed(1) : '—'} s`,
      );
  }
  return result;
}

export interface Lifetime {
  startedMs: number;
  closedMs?: number;
}

/** When each workflow started and closed, from visibility. */
export async function workflowLifetimes(stack: ChaosStack): Promise<Map<string, Lifetime>> {
  return persistently('listing workflows', async () => {
    const lifetimes = new Map<string, Lifetime>();
    for await (const execution of stack.client.workflow.list({ query: `WorkflowType = 'databricksRun'` })) {
      lifetimes.set(execution.workflowId, {
        startedMs: execution.startTime.getTime(),
        closedMs: execution.closeTime?.getTime(),
      });
    }
    return lifetimes;
  });
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function table(title: string, rows: Array<[string, string | number]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return [title, ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n');
}

export interface WaitEndings {
  /** A notification, confirmed by runs/get. */
  notification: number;
  /** The safety net's first look, made at once after a slow submission. */
  immediateLook: number;
  /** The safety net, one interval (or more) after the wait began. */
  safetyNet: number;
}

const TERMINAL_LIFE_CYCLES = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);

function decodedLifeCycle(payload: { data?: Uint8Array | null } | undefined): string | undefined {
  if (!payload?.data) return undefined;
  try {
    return (JSON.parse(Buffer.from(payload.data).toString('utf8')) as { lifeCycleState?: string })
      .lifeCycleState;
  } catch {
    return undefined;
  }
}

/**
 * How each webhook-mode wait ended, read from the workflows' histories: by a confirmed notification,
 * by the safety net's immediate look, or by the safety net after its interval. A wait's safety net is
 * the last pollUntilTerminal scheduled; an abandoned one completing later is not counted.
 */
export async function webhookWaitEndings(client: Client, workflowIds: string[]): Promise<WaitEndings> {
  const endings: WaitEndings = { notification: 0, immediateLook: 0, safetyNet: 0 };
  for (const workflowId of workflowIds) {
    const history = await persistently('fetching a history', () =>
      client.workflow.getHandle(workflowId).fetchHistory(),
    );
    const typeOf = new Map<string, string>();
    const attemptOf = new Map<string, number>();
    let currentNet: string | undefined;
    for (const event of history.events ?? []) {
      const id = String(event.eventId);
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) {
        const type = scheduled.activityType?.name ?? '';
        typeOf.set(id, type);
        if (type === 'pollUntilTerminal') currentNet = id;
      }
      const started = event.activityTaskStartedEventAttributes;
      if (started) attemptOf.set(String(started.scheduledEventId), started.attempt ?? 1);
      const completed = event.activityTaskCompletedEventAttributes;
      if (!completed || currentNet === undefined) continue;
      const of = String(completed.scheduledEventId);
      if (of === currentNet) {
        if ((attemptOf.get(of) ?? 1) === 1) endings.immediateLook++;
        else endings.safetyNet++;
        currentNet = undefined;
      } else if (typeOf.get(of) === 'getRunState') {
        const lifeCycle = decodedLifeCycle(completed.result?.payloads?.[0] ?? undefined);
        if (lifeCycle !== undefined && TERMINAL_LIFE_CYCLES.has(lifeCycle)) {
          endings.notification++;
          currentNet = undefined;
        }
      }
    }
  }
  return endings;
}

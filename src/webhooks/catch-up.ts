/**
 * The catch-up: when a webhook receiver starts, or regains its Temporal connection, it asks every
 * databricksRun that was already waiting for a notification to look at its run once.
 *
 * Why: Databricks sends a job notification to the destination's URL and documents no delivery retry
 * policy (docs.databricks.com/jobs/notifications.html and …/admin/workspace-settings/
 * notification-destinations say nothing of retries; the emulator retries 5 times over ~3 s). A run
 * that ends while no receiver listens — a deploy, an OOM kill, a node drain, a lost Temporal
 * connection — loses its notification, and its workflow would wait for its safety-net poll (5 minutes
 * by default). The workflows that wait show it in visibility (LakeloopNotificationWaitSince), so the
 * receiver finds them without any store of its own.
 *
 * The request budget applies: each catch-up costs the workflow one runs/get through its worker's
 * per-workspace limiter, and the catch-up itself sends at most `ratePerSecond` signals, so 10,000
 * waiting runs are looked at over minutes, not in one burst.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { DatabricksRunId } from '../shared/search-attributes.js';
import { catchUpSignal, type CatchUpRequest } from '../workflows/databricks-run.js';
import { startLiveness, type Gap } from './liveness.js';

export interface CatchUpOptions {
  client: Client;
  /** The workers' task queue: only its runs are caught up on (one Lakeloop deployment's). */
  taskQueue: string;
  /** When receivers were last known to listen (the start of the gap); undefined: not known. */
  receiverDownSince?: Date;
  /** When this receiver listened again: waits that began before it may have missed their notification. */
  receiverUpAt: Date;
  /** Signals per second at most. */
  ratePerSecond: number;
  /** Stops the catch-up early (the receiver is closing). */
  abort?: AbortSignal;
}

export interface CatchUpReport {
  /** Waiting workflows the visibility query listed. */
  found: number;
  /** Asked to look now. */
  signalled: number;
  /** Closed between the listing and the signal: nothing to do. */
  closed: number;
  took: number;
}

/**
 * The waits on `taskQueue` that began before the receiver listened again (a Datetime compared in
 * RFC 3339). The task queue is a Keyword the server validates as a name; quotes in it are escaped.
 */
export function waitingQuery(taskQueue: string, receiverUpAt: Date): string {
  return (
    `WorkflowType = 'databricksRun' AND ExecutionStatus = 'Running' AND ` +
    `TaskQueue = '${taskQueue.replace(/['\\]/g, '\\$&')}' AND ` +
    `LakeloopNotificationWaitSince < '${receiverUpAt.toISOString()}'`
  );
}

/** Resolves after `ms`, or at once when aborted (its listener is removed either way). */
const sleep = (ms: number, abort?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || abort?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      abort?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    abort?.addEventListener('abort', done, { once: true });
  });

export async function catchUpWaitingRuns(options: CatchUpOptions): Promise<CatchUpReport> {
  const started = Date.now();
  const spacing = 1000 / options.ratePerSecond;
  const report: CatchUpReport = { found: 0, signalled: 0, closed: 0, took: 0 };
  const request: Omit<CatchUpRequest, 'runId'> = {
    ...(options.receiverDownSince ? { receiverDownSince: options.receiverDownSince.toISOString() } : {}),
    receiverUpAt: options.receiverUpAt.toISOString(),
  };
  let next = Date.now();
  for await (const execution of options.client.workflow.list({
    query: waitingQuery(options.taskQueue, options.receiverUpAt),
  })) {
    if (options.abort?.aborted) break;
    report.found++;
    const runId = execution.typedSearchAttributes.get(DatabricksRunId);
    if (runId === undefined) continue; // waiting without a run id cannot happen; nothing to look at
    // Paced, not batched: the workflows' runs/get calls spread over time like the signals.
    await sleep(Math.max(0, next - Date.now()), options.abort);
    next = Math.max(next, Date.now()) + spacing;
    try {
      await options.client.workflow
        .getHandle(execution.workflowId, execution.runId)
        .signal(catchUpSignal, { ...request, runId });
      report.signalled++;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      report.closed++; // it ended since the listing (visibility lags): nothing to catch up
    }
  }
  report.took = Date.now() - started;
  return report;
}

export interface CatchingUpOptions {
  client: Client;
  /** The workers' task queue: where the receivers' heartbeats (webhookReceivers) run. */
  taskQueue: string;
  ratePerSecond: number;
  /** How often the receiver heartbeats; a receiver killed without a last word is noticed 1.5× this later. */
  heartbeatMs: number;
  /** How long to wait for the other receivers' records at start (default 15 s). */
  readTimeoutMs?: number;
  log?(level: 'notice' | 'warn', message: string, fields: Record<string, unknown>): void;
}

export interface CatchingUp {
  /** Every catch-up so far, with the gap it covered. */
  reports(): Array<CatchUpReport & { gap: Gap }>;
  /** The receiver answered a delivery with an error: catch up once Temporal answers again. */
  deliveryFailed(): void;
  stop(): Promise<void>;
}

/**
 * Liveness (src/webhooks/liveness.ts) and catch-ups for one receiver: every gap it reports — at start
 * when nobody else listened, after a lost Temporal connection — is caught up on, one at a time (a gap
 * reported during a catch-up is caught up on after it: its waits may have begun meanwhile).
 */
export function startCatchingUp(options: CatchingUpOptions): CatchingUp {
  const abort = new AbortController();
  const reports: Array<CatchUpReport & { gap: Gap }> = [];
  let queue = Promise.resolve();
  const liveness = startLiveness({
    client: options.client,
    taskQueue: options.taskQueue,
    intervalMs: options.heartbeatMs,
    ...(options.readTimeoutMs !== undefined ? { readTimeoutMs: options.readTimeoutMs } : {}),
    warn: (message, fields) => options.log?.('warn', message, fields),
    onGap: (gap) => {
      queue = queue.then(async () => {
        if (abort.signal.aborted) return;
        try {
          const report = await catchUpWaitingRuns({
            client: options.client,
            taskQueue: options.taskQueue,
            receiverUpAt: gap.upAt,
            ...(gap.downSince ? { receiverDownSince: gap.downSince } : {}),
            ratePerSecond: options.ratePerSecond,
            abort: abort.signal,
          });
          reports.push({ ...report, gap });
          options.log?.('notice', 'webhook receiver caught up on runs waiting since before it listened', {
            receiverDownSince: gap.downSince?.toISOString() ?? 'unknown',
            receiverUpAt: gap.upAt.toISOString(),
            ...report,
          });
        } catch (err) {
          // The safety-net polls still cover these runs; the next gap (or restart) tries again.
          options.log?.(
            'warn',
            'webhook receiver catch-up failed; waiting runs fall back to their safety net',
            {
              error: (err as Error).message,
            },
          );
        }
      });
    },
  });
  return {
    reports: () => [...reports],
    deliveryFailed: () => liveness.deliveryFailed(),
    async stop() {
      abort.abort();
      await liveness.stop();
      await queue;
    },
  };
}

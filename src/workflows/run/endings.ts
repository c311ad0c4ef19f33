/**
 * How a databricksRun ends when its story is interrupted — by its own deadline, by a cancel request,
 * or by a failure after submission — without leaving its Databricks run going (unless the caller chose
 * `onCancel: "detach"`).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  sleep,
} from '@temporalio/workflow';
import type { Classification } from '../../shared/run-classification.js';
import type { RunResult } from '../../shared/run-types.js';
import type { RunContext } from './context.js';
import { CANCEL_AFTER_FAILURE_PATCH, FINAL_STATE_AFTER_CANCEL_PATCH } from './patches.js';
import { buildResult, lastOutcome } from './result.js';

/** A scope for the run that the workflow's deadline (input.timeout), a timer, cancels when it passes. */
export class Deadline {
  passed = false;
  private readonly runScope = new CancellationScope();
  private readonly timerScope = new CancellationScope();

  constructor(timeout: number | undefined) {
    if (timeout === undefined) return;
    this.timerScope
      .run(async () => {
        await sleep(timeout);
        this.passed = true;
        this.runScope.cancel();
      })
      .catch(() => undefined); // cancelled when the run finishes first
  }

  run<T>(body: () => Promise<T>): Promise<T> {
    return this.runScope.run(body);
  }

  stop(): void {
    this.timerScope.cancel();
  }
}

/**
 * The end of an interrupted run: a result (detached), a verdict to finish with (the deadline passed
 * and the run was cancelled), or a failure to throw (cancelled, or failed after submission).
 */
export async function endInterrupted(
  ctx: RunContext,
  err: unknown,
  deadline: Deadline,
): Promise<{ result: RunResult } | { verdict: Classification }> {
  if (!isCancellation(err)) throw await cancelAfterFailure(ctx, err);
  const runId = ctx.submission?.runId;
  if (ctx.input.onCancel === 'detach' && !deadline.passed) {
    ctx.show({ phase: 'done' });
    const message = 'workflow cancelled; the Databricks run was left running (detach)';
    return { result: buildResult(ctx, { outcome: 'UNKNOWN', succeeded: false, message }, true) };
  }
  if (runId !== undefined) {
    ctx.show({ phase: 'cancelling' });
    // Must reach Databricks even though this workflow is being cancelled.
    ctx.last = await CancellationScope.nonCancellable(() => ctx.acts.canceller.cancelRun(runId));
  }
  if (!deadline.passed) {
    // Say how it ended: the visibility store (and the orphan reaper reading it) sees a final state.
    if (runId !== undefined && patched(FINAL_STATE_AFTER_CANCEL_PATCH)) {
      ctx.show({ phase: 'done', outcome: lastOutcome(ctx) });
    }
    throw err;
  }
  const message = `deadline of ${ctx.input.timeout} ms passed; the Databricks run was cancelled`;
  return { verdict: { outcome: 'TIMEDOUT', succeeded: false, message } };
}

/**
 * A failure after submission (a non-retryable answer to runs/get, an unusable response, an auth
 * error) would end the workflow with its Databricks run still going: cancel the run first (in a scope
 * that survives cancellation), then fail with both. `onCancel: "detach"` leaves it. Histories from
 * before failed at once; patched() is consulted only on this path, so usual histories carry no marker.
 */
async function cancelAfterFailure(ctx: RunContext, err: unknown): Promise<unknown> {
  const runId = ctx.submission?.runId;
  if (runId === undefined || ctx.input.onCancel === 'detach' || !patched(CANCEL_AFTER_FAILURE_PATCH))
    return err;
  const cause = err instanceof Error ? err : new Error(String(err));
  const reason = (err instanceof ActivityFailure ? err.cause?.message : undefined) ?? cause.message;
  ctx.show({ phase: 'cancelling' });
  let cancelled: string;
  try {
    ctx.last = await CancellationScope.nonCancellable(() => ctx.acts.canceller.cancelRun(runId));
    cancelled = `the Databricks run ${runId} was cancelled`;
  } catch (cancelError) {
    const why = cancelError instanceof ActivityFailure ? cancelError.cause?.message : String(cancelError);
    log.error('could not cancel the Databricks run after a failure', { runId, error: why });
    cancelled = `cancelling the Databricks run ${runId} failed too (${why}); it may still be running`;
  }
  const c: Classification = { outcome: lastOutcome(ctx), succeeded: false, message: reason };
  ctx.show({ phase: 'done', outcome: c.outcome });
  return ApplicationFailure.create({
    type: 'DatabricksRunInterrupted',
    message: `${reason} — ${cancelled}`,
    nonRetryable: true,
    cause,
    details: [buildResult(ctx, c)],
  });
}

/**
 * After a failed attempt the retry policy asked to retry: repair only the failed tasks when the
 * policy says so and the workspace offers runs/repair, otherwise resubmit the whole run.
 */
import { ActivityFailure, type ApplicationFailure, log } from '@temporalio/workflow';
import { toDatabricksId } from '../../shared/databricks-id.js';
import { failedTaskKeys } from '../../shared/run-classification.js';
import type { AttemptRecord, RunSnapshot } from '../../shared/run-types.js';
import type { RunContext } from './context.js';
import { submit } from './submission.js';

/** Starts the next attempt; says what kind it is. */
export async function retryRun(ctx: RunContext, last: RunSnapshot): Promise<AttemptRecord['kind']> {
  const failedTasks = failedTaskKeys(last);
  const repairable = ctx.input.retry.strategy === 'repair' && failedTasks.length > 0;
  if (repairable && (await repair(ctx, last, failedTasks))) return 'repair';
  ctx.show({ phase: 'resubmitting' });
  await submit(ctx, ctx.status.attempt);
  return 'submit';
}

/**
 * runs/repair of the failed tasks; false when the workspace does not offer repair (the caller then
 * resubmits, and the result says so). Histories never held a RepairUnavailable failure before it
 * existed, so catching it changes no recorded decision.
 */
async function repair(ctx: RunContext, run: RunSnapshot, failedTasks: string[]): Promise<boolean> {
  ctx.show({ phase: 'repairing' });
  const runId = toDatabricksId(run.runId) ?? String(run.runId);
  ctx.pendingWait = { notifiedBefore: ctx.notificationsOf(runId), lookNow: false };
  try {
    const { repairId } = await ctx.acts.api.repairRun(run.runId, run.repairCount);
    log.info('repairing failed tasks', { runId, tasks: failedTasks, repairId });
    return true;
  } catch (err) {
    const failure =
      err instanceof ActivityFailure ? (err.cause as ApplicationFailure | undefined) : undefined;
    if (failure?.type !== 'RepairUnavailable') throw err;
    const reason = failure.message || 'runs/repair is not available';
    log.warn('this workspace does not offer runs/repair; resubmitting the whole run instead', {
      runId,
      reason,
    });
    ctx.fallbacks.push(`repair → resubmit: ${reason}`);
    return false;
  }
}

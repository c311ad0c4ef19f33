/**
 * Waiting for the run to end, by the mode chosen at submission: a webhook notification (with a slow
 * safety-net poll for lost ones), activity-retry polling, or one heartbeating activity. History stays
 * the same size whatever the run's duration: polls are retries of one activity, not new events.
 */
import { CancellationScope, condition, log, patched } from '@temporalio/workflow';
import type { DatabricksId } from '../../shared/databricks-id.js';
import { isTerminal } from '../../shared/run-classification.js';
import type { RunSnapshot } from '../../shared/run-types.js';
import type { RunContext } from './context.js';
import { EARLY_NOTIFICATIONS_PATCH, SAFETY_NET_AWAITED_PATCH } from './patches.js';

export function waitForTerminal(ctx: RunContext, runId: DatabricksId): Promise<RunSnapshot> {
  switch (ctx.status.view.waitMode) {
    case 'webhook':
      return waitByWebhook(ctx, runId);
    case 'heartbeat':
      return ctx.acts.heartbeating.waitForTermination(runId, ctx.input.wait.heartbeatPollInterval);
    default:
      // The input's longest interval also bounds predicted looks once the run is later than expected.
      // (Activity arguments are not part of replay's check: histories recorded without it replay.)
      // A one-time run's definition lets the prediction learn from earlier runs of it (run-durations.ts).
      return ctx.acts.poller.pollUntilTerminal(runId, {
        maxPollIntervalMs: ctx.input.wait.maxPollInterval,
        ...(ctx.status.view.definition !== undefined ? { definition: ctx.status.view.definition } : {}),
      });
  }
}

/**
 * The first of: a terminal notification (confirmed by one runs/get, which also fills in the result;
 * a stale duplicate loops), a receiver's catch-up (counted as a notification: it may have been lost
 * while no receiver listened; run/context.ts), or the safety net's poll finding the run ended.
 */
async function waitByWebhook(ctx: RunContext, runId: DatabricksId): Promise<RunSnapshot> {
  const { api } = ctx.acts;
  const notifications = () => ctx.notificationsOf(runId);
  const { notifiedBefore, lookNow } = ctx.pendingWait;
  ctx.noteWaitStart(runId);
  // Notifications count from the request on, not from now: a repaired run can end, and say so,
  // before runs/repair's answer is back. (These patched() calls sit where behaviour differs, so
  // they add no marker to the usual webhook history.)
  let seen =
    notifications() > notifiedBefore && patched(EARLY_NOTIFICATIONS_PATCH) ? notifiedBefore : notifications();
  let skipFirstAttempt = !(lookNow && patched(EARLY_NOTIFICATIONS_PATCH));
  for (;;) {
    // (Consulted before scheduling: the SDK wires an activity's cancellation type when it is scheduled.)
    const safetyNet = patched(SAFETY_NET_AWAITED_PATCH) ? ctx.acts.safetyNet : ctx.acts.abandonedSafetyNet;
    const netScope = new CancellationScope();
    const net = netScope.run(() => safetyNet.pollUntilTerminal(runId, { skipFirstAttempt }));
    const netClosed = net.catch(() => undefined); // its cancellation is expected
    const notified = condition(() => notifications() > seen);
    const first = await Promise.race([
      net.then((snapshot) => ({ snapshot })),
      notified.then(() => ({ snapshot: undefined })),
    ]).catch(async (err: unknown) => {
      // The workflow is being cancelled: the net is cancelled with it; let that complete first.
      await netClosed;
      throw err;
    });
    if (first.snapshot) return first.snapshot;
    netScope.cancel();
    const answered = notifications();
    // Confirm while the net's cancellation completes; both are done before the wait ends.
    const [confirmed] = await Promise.all([api.getRunState(runId), netClosed]);
    if (isTerminal(confirmed)) {
      ctx.noteEndFound(runId); // a receiver's catch-up, rather than a notification, may have found it
      return confirmed;
    }
    log.info('notification did not match a terminal run state; waiting again', {
      runId,
      state: confirmed.lifeCycleState,
    });
    // One that arrived while runs/get was on its way may be the real end: confirm it too.
    seen = notifications() > answered && patched(EARLY_NOTIFICATIONS_PATCH) ? answered : notifications();
    skipFirstAttempt = true;
  }
}

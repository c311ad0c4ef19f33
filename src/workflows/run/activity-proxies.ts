/**
 * The activity stubs databricksRun calls through, each with the timeouts and retries of its job.
 * Workspace calls retry until they succeed or fail for good (a 429 storm only delays the run).
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { RunActivities } from '../../activities/databricks-runs.js';
import type { ValidRunInput } from '../../shared/run-input.js';

const DAY = 86_400_000;

export interface RunActivityProxies {
  /** Short workspace calls (submit, runs/get, outputs, repair, cancel). */
  api: RunActivities;
  /** Poll mode: one runs/get per attempt; retries (which add no history) space the looks. */
  poller: RunActivities;
  /** Webhook mode's safety net: a poll spaced by the safety-net interval, abandoned once notified. */
  safetyNet: RunActivities;
  /** Heartbeat mode: one long activity that polls. */
  heartbeating: RunActivities;
}

export function runActivityProxies(input: ValidRunInput): RunActivityProxies {
  // Activities may outlive the deadline slightly: the deadline itself cancels them (and the run).
  const activityDeadlineMs = (input.timeout ?? 7 * DAY) + 10 * 60_000;
  return {
    api: proxyActivities<RunActivities>({
      // Short enough that the call of a worker that died is retried soon by another one; a call that
      // is only slow (throttled) is retried too, which the idempotency token makes safe.
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: activityDeadlineMs,
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    }),
    poller: proxyActivities<RunActivities>({
      startToCloseTimeout: '1 minute',
      scheduleToCloseTimeout: activityDeadlineMs,
      retry: {
        initialInterval: input.wait.pollInterval,
        backoffCoefficient: 1.5,
        maximumInterval: input.wait.maxPollInterval,
      },
    }),
    safetyNet: proxyActivities<RunActivities>({
      startToCloseTimeout: '1 minute',
      scheduleToCloseTimeout: activityDeadlineMs,
      // Abandoned, not cancelled, once a notification arrives: a cancel request could race with an
      // attempt that is just completing, and the abandoned poll costs at most one more runs/get.
      cancellationType: ActivityCancellationType.ABANDON,
      retry: { initialInterval: input.wait.safetyNetInterval, backoffCoefficient: 1 },
    }),
    heartbeating: proxyActivities<RunActivities>({
      startToCloseTimeout: activityDeadlineMs,
      heartbeatTimeout: Math.max(30_000, input.wait.heartbeatPollInterval * 5),
      retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
    }),
  };
}

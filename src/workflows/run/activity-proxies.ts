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
  /**
   * Webhook mode's safety net: a poll spaced by the safety-net interval. Cancelled (and the cancel
   * awaited) once a notification arrives, so a closed workflow shows no pending activity.
   */
  safetyNet: RunActivities;
  /** The same, abandoned instead of cancelled: only for workflows that started before SAFETY_NET_AWAITED_PATCH. */
  abandonedSafetyNet: RunActivities;
  /** Task outputs: one runs/get-output per task run, so long for a big run; it heartbeats. */
  collector: RunActivities;
  /** runs/cancel until Databricks has ended the run; it heartbeats while it waits. */
  canceller: RunActivities;
  /** Heartbeat mode: one long activity that polls. */
  heartbeating: RunActivities;
}

export function runActivityProxies(input: ValidRunInput): RunActivityProxies {
  // Short calls may outlive the deadline slightly: the deadline itself cancels them (and the run). Waits
  // have no such cap: an activity deadline must never end a wait (the wait's budget is the workflow's
  // own deadline, a timer), and their retries add nothing to history.
  const activityDeadlineMs = (input.timeout ?? 7 * DAY) + 10 * 60_000;
  const safetyNet = (cancellationType: ActivityCancellationType) =>
    proxyActivities<RunActivities>({
      startToCloseTimeout: '1 minute',
      cancellationType,
      retry: { initialInterval: input.wait.safetyNetInterval, backoffCoefficient: 1 },
    });
  return {
    api: proxyActivities<RunActivities>({
      // Short enough that the call of a worker that died is retried soon by another one; a call that
      // is only slow (throttled) is retried too, which the idempotency token makes safe. Each request
      // has its own, shorter timeout (LAKELOOP_HTTP_TIMEOUT_SECONDS, at most 20 s).
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: activityDeadlineMs,
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    }),
    poller: proxyActivities<RunActivities>({
      startToCloseTimeout: '1 minute',
      retry: {
        initialInterval: input.wait.pollInterval,
        backoffCoefficient: 1.5,
        maximumInterval: input.wait.maxPollInterval,
      },
    }),
    // Waits for its cancellation to be confirmed: a poll attempt in flight ends within a request.
    safetyNet: safetyNet(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED),
    abandonedSafetyNet: safetyNet(ActivityCancellationType.ABANDON),
    heartbeating: proxyActivities<RunActivities>({
      startToCloseTimeout: activityDeadlineMs,
      heartbeatTimeout: Math.max(30_000, input.wait.heartbeatPollInterval * 5),
      retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
    }),
    collector: proxyActivities<RunActivities>({
      startToCloseTimeout: '15 minutes',
      heartbeatTimeout: '1 minute',
      scheduleToCloseTimeout: activityDeadlineMs,
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    }),
    canceller: proxyActivities<RunActivities>({
      startToCloseTimeout: '15 minutes',
      heartbeatTimeout: '1 minute',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    }),
  };
}

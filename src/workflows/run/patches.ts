/**
 * The patch ids of databricksRun: each guards a change of the command sequence, so workflows that
 * started on older code replay as they ran (test/replay.test.ts over test/histories/, including the
 * frozen before-exact-ids/ corpus). Each is consulted only where behaviour differs, so the usual
 * history carries no marker unless said otherwise.
 */

/** Webhook waits count notifications from the request on, and look at once after a slow submission. */
export const EARLY_NOTIFICATIONS_PATCH = 'webhook-notifications-before-wait';

/**
 * A cancellation (the workflow's or the deadline's) that arrives while runs/submit is in flight waits
 * for the submission's answer instead of abandoning it: the run it creates is then cancelled, not left
 * running with nobody knowing its id. In every new history (consulted before each submission).
 */
export const SUBMISSION_OUTLIVES_CANCELLATION_PATCH = 'submission-outlives-cancellation';

/** A non-retryable failure after submission cancels the run before the workflow fails. */
export const CANCEL_AFTER_FAILURE_PATCH = 'cancel-run-after-failure';

/**
 * The webhook wait's safety-net poll is cancelled, and its cancellation awaited, once a notification
 * arrives, instead of abandoned (which left a closed workflow showing a pending, retrying activity).
 * In every new webhook-mode history (consulted before the net is scheduled).
 */
export const SAFETY_NET_AWAITED_PATCH = 'safety-net-cancelled';

/** A cancelled run's final state is written to the search attributes before the workflow ends. */
export const FINAL_STATE_AFTER_CANCEL_PATCH = 'final-state-after-cancel';

/**
 * A webhook wait shows itself in visibility (LakeloopNotificationWaitSince) and can be asked to look
 * at its run now (the catch-up signal a webhook receiver sends when it starts or reconnects: a
 * notification sent while no receiver listened is lost). Consulted when a run first waits by webhook,
 * and when a catch-up arrives; poll and heartbeat histories carry no marker.
 */
export const NOTIFICATION_CATCH_UP_PATCH = 'notification-catch-up';

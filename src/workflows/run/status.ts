/**
 * What databricksRun shows while it runs: the `status` query's view, the search attributes (ids and
 * state only: they are never encrypted) and the current details the Web UI renders, kept in step by
 * one `show()`. The notification signal is declared here too, beside the query, as the public surface
 * clients and the webhook receiver use.
 */
import {
  defineQuery,
  defineSignal,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { DatabricksId } from '../../shared/databricks-id.js';
import { describeCaughtUp } from '../../shared/caught-up.js';
import type { AttemptRecord, CaughtUp, RunResult } from '../../shared/run-types.js';
import {
  DatabricksJobId,
  DatabricksRunId,
  DatabricksRunState,
  LakeloopDefinition,
  LakeloopDetached,
  LakeloopNotificationWaitSince,
  LakeloopRunMs,
} from '../../shared/search-attributes.js';
import { NOTIFICATION_CATCH_UP_PATCH } from './patches.js';

/**
 * A Databricks job notification, forwarded by the webhook receiver. Duplicates are harmless. The run
 * id is an exact decimal string; signals recorded before that carry a number.
 */
export interface RunNotification {
  eventType: string;
  runId: DatabricksId | number;
}

/**
 * A webhook receiver's request to look at the run now, sent by its catch-up when it starts or regains
 * its Temporal connection (src/webhooks/catch-up.ts): the run may have ended, and its notification
 * been lost, while no receiver listened. Answered like a notification: one runs/get, and the wait
 * ends only if the run has ended. Times are ISO 8601, from the receiver's clock.
 */
export interface CatchUpRequest {
  /** The Databricks run the receiver found this workflow waiting on (its DatabricksRunId). */
  runId: DatabricksId;
  /** When receivers were last known to listen; absent when no receiver had ever said so. */
  receiverDownSince?: string;
  /** When a receiver listened again (the catch-up covers waits that began before it). */
  receiverUpAt: string;
}

/** What the databricksRun `status` query answers while it runs. */
export interface RunStatusView {
  phase:
    'submitting' | 'waiting' | 'repairing' | 'resubmitting' | 'collecting-outputs' | 'cancelling' | 'done';
  runId?: DatabricksId;
  jobId?: DatabricksId;
  runPageUrl?: string;
  lifeCycleState?: string;
  waitMode?: RunResult['waitMode'];
  attempts: AttemptRecord[];
  outcome?: RunResult['outcome'];
  /** Tasks (and for_each iterations) of the last attempt that did not succeed, e.g. "train FAILED". */
  failedTasks?: string[];
  /**
   * When the wait for the run's end notification began (webhook mode), while waiting; what the
   * LakeloopNotificationWaitSince search attribute holds. ISO 8601.
   */
  notificationWaitSince?: string;
  /** Set when the run's end was found by a receiver's catch-up: its notification was lost. */
  caughtUp?: CaughtUp;
  /** A one-time run's definition fingerprint (LakeloopDefinition): its runs' durations predict polls. */
  definition?: string;
  /** How long the run took when it succeeded at its first try (LakeloopRunMs), end − start. */
  runMs?: number;
}

/** The databricksRun `status` query. */
export const statusQuery = defineQuery<RunStatusView>('status');
/** A job notification for a databricksRun's run (sent by the webhook receiver). */
export const notificationSignal = defineSignal<[RunNotification]>('databricksNotification');
/** A receiver's catch-up asking the run's workflow to look now (see CatchUpRequest). */
export const catchUpSignal = defineSignal<[CatchUpRequest]>('lakeloopCatchUp');

export class RunStatus {
  readonly view: RunStatusView = { phase: 'submitting', attempts: [] };

  /** `detached`: the caller chose onCancel "detach" — its run may outlive the workflow on purpose. */
  constructor(private readonly detached: boolean) {}
  /** The attempt in progress (or the last one, once done): for the current details only. */
  attempt = 1;
  /**
   * Whether webhook waits show in visibility: decided by patched() when a run first waits by webhook
   * (histories recorded before never upserted LakeloopNotificationWaitSince, and must replay so).
   */
  private showsNotificationWait?: boolean;

  /** Updates the view, the search attributes and the current details together. */
  show(update: Partial<RunStatusView>): void {
    const view = Object.assign(this.view, update);
    const state = view.outcome ?? view.lifeCycleState ?? 'SUBMITTED';
    const waitingForNotification = view.phase === 'waiting' && view.waitMode === 'webhook';
    if (waitingForNotification && view.notificationWaitSince === undefined) {
      this.showsNotificationWait ??= patched(NOTIFICATION_CATCH_UP_PATCH);
      // Workflow time: deterministic, and the server's clock the catch-up's query compares with.
      if (this.showsNotificationWait) view.notificationWaitSince = new Date().toISOString();
    } else if (!waitingForNotification) {
      view.notificationWaitSince = undefined;
    }
    upsertSearchAttributes([
      ...(view.runId !== undefined ? [{ key: DatabricksRunId, value: view.runId }] : []),
      ...(view.jobId !== undefined ? [{ key: DatabricksJobId, value: view.jobId }] : []),
      { key: DatabricksRunState, value: state },
      // The orphan reaper never cancels a run that may outlive its workflow on purpose. (A key more in
      // an existing upsert adds no command: recorded histories replay.)
      ...(this.detached ? [{ key: LakeloopDetached, value: true }] : []),
      // What predictive polling learns from for one-time runs (run-durations.ts): the definition, and
      // once it succeeded, how long it took.
      ...(view.definition !== undefined ? [{ key: LakeloopDefinition, value: view.definition }] : []),
      ...(view.runMs !== undefined ? [{ key: LakeloopRunMs, value: view.runMs }] : []),
      // Set while waiting for a notification, removed (null) once the wait is over.
      ...(this.showsNotificationWait
        ? [
            {
              key: LakeloopNotificationWaitSince,
              value: view.notificationWaitSince ? new Date(view.notificationWaitSince) : null,
            },
          ]
        : []),
    ]);
    const link =
      view.runId !== undefined ? (view.runPageUrl ? `[${view.runId}](${view.runPageUrl})` : view.runId) : '—';
    setCurrentDetails(
      [
        `**Databricks run** ${link}${view.jobId !== undefined ? ` (job ${view.jobId})` : ''}`,
        `**State** ${state} · **Phase** ${view.phase} · **Attempt** ${this.attempt}`,
        view.waitMode ? `**Waiting by** ${view.waitMode}` : '',
        // What a SUCCESS_WITH_FAILURES (or failed) run hides at a glance.
        view.failedTasks?.length ? `**Failed tasks** ${view.failedTasks.join(', ')}` : '',
        view.caughtUp ? `**Caught up** ${describeCaughtUp(view.caughtUp)}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }
}

/**
 * What databricksRun shows while it runs: the `status` query's view, the search attributes (ids and
 * state only: they are never encrypted) and the current details the Web UI renders, kept in step by
 * one `show()`. The notification signal is declared here too, beside the query, as the public surface
 * clients and the webhook receiver use.
 */
import { defineQuery, defineSignal, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { DatabricksId } from '../../shared/databricks-id.js';
import type { AttemptRecord, RunResult } from '../../shared/run-types.js';
import {
  DatabricksJobId,
  DatabricksRunId,
  DatabricksRunState,
  LakeloopDetached,
} from '../../shared/search-attributes.js';

/**
 * A Databricks job notification, forwarded by the webhook receiver. Duplicates are harmless. The run
 * id is an exact decimal string; signals recorded before that carry a number.
 */
export interface RunNotification {
  eventType: string;
  runId: DatabricksId | number;
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
}

/** The databricksRun `status` query. */
export const statusQuery = defineQuery<RunStatusView>('status');
/** A job notification for a databricksRun's run (sent by the webhook receiver). */
export const notificationSignal = defineSignal<[RunNotification]>('databricksNotification');

export class RunStatus {
  readonly view: RunStatusView = { phase: 'submitting', attempts: [] };

  /** `detached`: the caller chose onCancel "detach" — its run may outlive the workflow on purpose. */
  constructor(private readonly detached: boolean) {}
  /** The attempt in progress (or the last one, once done): for the current details only. */
  attempt = 1;

  /** Updates the view, the search attributes and the current details together. */
  show(update: Partial<RunStatusView>): void {
    const view = Object.assign(this.view, update);
    const state = view.outcome ?? view.lifeCycleState ?? 'SUBMITTED';
    upsertSearchAttributes([
      ...(view.runId !== undefined ? [{ key: DatabricksRunId, value: view.runId }] : []),
      ...(view.jobId !== undefined ? [{ key: DatabricksJobId, value: view.jobId }] : []),
      { key: DatabricksRunState, value: state },
      // The orphan reaper never cancels a run that may outlive its workflow on purpose. (A key more in
      // an existing upsert adds no command: recorded histories replay.)
      ...(this.detached ? [{ key: LakeloopDetached, value: true }] : []),
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
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }
}

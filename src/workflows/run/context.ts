/**
 * One databricksRun's working state: its validated input, what it shows, its activity stubs, the
 * notifications it has been sent, and what it knows of its Databricks run so far. The strategies
 * (submission, waiting, retry, endings, result) read and update it; the workflow function owns it.
 */
import { patched, setHandler } from '@temporalio/workflow';
import { toDatabricksId, type DatabricksId } from '../../shared/databricks-id.js';
import { describeFailedTasks, type Classification } from '../../shared/run-classification.js';
import type { ValidRunInput } from '../../shared/run-input.js';
import type { AttemptRecord, RunSnapshot, SubmitResult } from '../../shared/run-types.js';
import { runActivityProxies, type RunActivityProxies } from './activity-proxies.js';
import { NOTIFICATION_CATCH_UP_PATCH } from './patches.js';
import { catchUpSignal, notificationSignal, RunStatus, statusQuery, type CatchUpRequest } from './status.js';

const TERMINAL_EVENTS = new Set(['jobs.on_success', 'jobs.on_failure']);

export class RunContext {
  readonly status: RunStatus;
  readonly acts: RunActivityProxies;
  /** Terminal notifications received per Databricks run (the receiver may send duplicates). */
  readonly terminalNotifications = new Map<DatabricksId, number>();
  /** Terminal notifications from Databricks alone (terminalNotifications also counts catch-ups). */
  private readonly notifiedByDatabricks = new Map<DatabricksId, number>();
  /** The last catch-up received per Databricks run: a wake-up the wait confirms like a notification. */
  private readonly catchUps = new Map<DatabricksId, CatchUpRequest>();
  /** Databricks' terminal notifications for the run when its current webhook wait began. */
  private notifiedAtWaitStart = 0;
  /** Optional features this workspace lacked for this run, and what was done instead. */
  readonly fallbacks: string[] = [];
  submission?: SubmitResult;
  last?: RunSnapshot;
  /** What the next webhook wait must know about the request (submit or repair) that started it. */
  pendingWait = { notifiedBefore: 0, lookNow: false };

  constructor(readonly input: ValidRunInput) {
    this.status = new RunStatus(input.onCancel === 'detach');
    this.acts = runActivityProxies(input);
    setHandler(statusQuery, () => this.status.view);
    setHandler(notificationSignal, (notification) => {
      const runId = toDatabricksId(notification.runId);
      if (runId === undefined) return; // the receiver validates ids; nothing else could name a run
      if (TERMINAL_EVENTS.has(notification.eventType)) {
        this.terminalNotifications.set(runId, this.notificationsOf(runId) + 1);
        this.notifiedByDatabricks.set(runId, (this.notifiedByDatabricks.get(runId) ?? 0) + 1);
      } else if (
        notification.eventType === 'jobs.on_start' &&
        runId === this.status.view.runId &&
        !this.status.view.lifeCycleState
      ) {
        this.show({ lifeCycleState: 'RUNNING' });
      }
    });
    // Registered in every workflow (a new signal name: no recorded history holds one); what it does
    // is behind patched(), consulted only when one arrives.
    setHandler(catchUpSignal, (request) => {
      const runId = toDatabricksId(request.runId);
      if (runId === undefined || !patched(NOTIFICATION_CATCH_UP_PATCH)) return;
      this.catchUps.set(runId, request);
      // Counted as a wake-up, so the webhook wait looks (one runs/get) as for a notification.
      this.terminalNotifications.set(runId, this.notificationsOf(runId) + 1);
    });
  }

  /** A webhook wait for the run begins (bookkeeping only: no command). */
  noteWaitStart(runId: DatabricksId): void {
    this.notifiedAtWaitStart = this.notifiedByDatabricks.get(runId) ?? 0;
  }

  /**
   * The run's end was confirmed after a wake-up: if a catch-up came and Databricks sent no terminal
   * notification during this wait, the catch-up found it (the notification was lost while no
   * receiver listened): say so, conservatively. Shown by the next show(), the attempt's own.
   */
  noteEndFound(runId: DatabricksId): void {
    const catchUp = this.catchUps.get(runId);
    if (!catchUp || (this.notifiedByDatabricks.get(runId) ?? 0) !== this.notifiedAtWaitStart) return;
    const { receiverDownSince, receiverUpAt } = catchUp;
    this.status.view.caughtUp = {
      reason: 'receiver restart',
      ...(receiverDownSince ? { receiverDownSince } : {}),
      receiverUpAt,
    };
  }

  show: RunStatus['show'] = (update) => this.status.show(update);

  notificationsOf(runId: DatabricksId): number {
    return this.terminalNotifications.get(runId) ?? 0;
  }

  /** An attempt ended: recorded in the view, its state and failed tasks shown. */
  recordAttempt(kind: AttemptRecord['kind'], run: RunSnapshot, c: Classification): void {
    this.status.view.attempts.push({
      attempt: this.status.attempt,
      runId: run.runId,
      kind,
      outcome: c.outcome,
      terminationType: c.terminationType,
      terminationCode: c.terminationCode,
      message: c.message,
    });
    this.show({
      // A one-time run's job id arrives with runs/get (runs/submit answers only run_id; Databricks'
      // runs/get carries the job_id of a SUBMIT_RUN, as in flyteorg/flytekit#1935's response).
      jobId: toDatabricksId(run.jobId) ?? this.status.view.jobId,
      lifeCycleState: run.lifeCycleState,
      runPageUrl: run.runPageUrl ?? this.status.view.runPageUrl,
      failedTasks: describeFailedTasks(run.tasks),
    });
  }
}

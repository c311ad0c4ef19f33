/**
 * Shapes exchanged between the databricksRun workflow, its activities and clients. No secrets.
 * Databricks ids are exact decimal strings (DatabricksId); histories recorded before that carry
 * numbers, which the workflow reads through toDatabricksId.
 */
import type { DatabricksId } from './databricks-id.js';

/** What Lakeloop knows about a Databricks run at one moment (from runs/get). */
export interface RunSnapshot {
  runId: DatabricksId;
  jobId?: DatabricksId;
  runPageUrl?: string;
  /** state.life_cycle_state (QUEUED, PENDING, RUNNING, TERMINATING, TERMINATED, SKIPPED, INTERNAL_ERROR…). */
  lifeCycleState?: string;
  /** state.result_state, present once terminal (SUCCESS, FAILED, TIMEDOUT, CANCELED…). */
  resultState?: string;
  stateMessage?: string;
  /** status.state (QUEUED, PENDING, RUNNING, TERMINATING, TERMINATED…). */
  statusState?: string;
  terminationType?: string;
  terminationCode?: string;
  terminationMessage?: string;
  startTime?: number;
  endTime?: number;
  runDurationMs?: number;
  tasks: TaskSnapshot[];
  /** Number of repairs so far and the newest repair id (for runs/repair's latest_repair_id). */
  repairCount: number;
  latestRepairId?: DatabricksId;
  /** The activity's reading: has the run ended? (Absent in snapshots recorded before it was recorded.) */
  terminal?: boolean;
  /**
   * The activity's reading of the end, set once terminal (classified where the response was read, so a
   * later change to the rules cannot change a decision a recorded history already made).
   */
  verdict?: {
    outcome: RunOutcome;
    succeeded: boolean;
    terminationType?: string;
    terminationCode?: string;
    message?: string;
  };
}

/** One task of a Databricks run at one moment (from runs/get). */
export interface TaskSnapshot {
  taskKey: string;
  runId: DatabricksId;
  attemptNumber?: number;
  lifeCycleState?: string;
  resultState?: string;
  terminationCode?: string;
  durationMs?: number;
  /** A for_each task: its iterations (each a run of the nested task), in Databricks' order. */
  iterations?: TaskSnapshot[];
  /** A for_each task: Databricks' own counts, when it reports them. */
  iterationStats?: { total?: number; succeeded?: number; failed?: number };
}

/** What submitting (runs/submit or run-now) returned: the run and its job. */
export interface SubmitResult {
  runId: DatabricksId;
  jobId?: DatabricksId;
  runPageUrl?: string;
  /** sha256 of the job settings (or the submit spec) that ran: ties every result to a job version. */
  jobFingerprint: string;
  /**
   * A one-time run's definition without its per-run fields (name, token, notifications, timeout):
   * shared by the runs of one definition, whatever their names, so their durations predict the next.
   */
  definitionFingerprint?: string;
  /** True when this worker's webhook receiver will be told when the run ends. */
  webhooksAvailable: boolean;
  /** Set when the workspace refused notifications for this run, so it is polled instead (a warning). */
  webhooksRefused?: string;
}

/** The output of one task (runs/get-output): its notebook result or error, size-limited. */
export interface TaskOutput {
  taskKey: string;
  runId: DatabricksId;
  /** For an iteration of a for_each task: its position among the iterations (0-based). */
  iteration?: number;
  /** dbutils.notebook.exit value (or LAKELOOP_TASK_OUTPUT), bounded in size. */
  result?: string;
  resultTruncated?: boolean;
  /** The last lines of the task's logs, bounded. */
  logTail?: string;
  error?: string;
  errorTrace?: string;
  /** The run's output budget was spent: result, logs and trace were left out (runs/get-output has them). */
  omitted?: boolean;
}

/** How a Databricks run ended, as Lakeloop classifies it (Databricks' result states, plus Lakeloop's own). */
export type RunOutcome =
  | 'SUCCESS'
  | 'SUCCESS_WITH_FAILURES'
  | 'FAILED'
  | 'TIMEDOUT'
  | 'CANCELED'
  | 'SKIPPED'
  | 'INTERNAL_ERROR'
  | 'UPSTREAM_FAILED'
  | 'UPSTREAM_CANCELED'
  | 'EXCLUDED'
  | 'DISABLED'
  | 'MAXIMUM_CONCURRENT_RUNS_REACHED'
  | 'UNKNOWN';

/** One attempt of a databricksRun: the first submission, or a repair or resubmission after it. */
export interface AttemptRecord {
  attempt: number;
  runId: DatabricksId;
  kind: 'submit' | 'repair';
  repairId?: DatabricksId;
  outcome: RunOutcome;
  terminationType?: string;
  terminationCode?: string;
  message?: string;
}

/**
 * How a databricksRun learnt that its run had ended when a webhook receiver's catch-up, not a
 * notification, found it: the notification was lost while no receiver listened. Times are ISO 8601.
 */
export interface CaughtUp {
  /** Always "receiver restart" for now: a receiver starting or reconnecting is what sends a catch-up. */
  reason: 'receiver restart';
  /** When receivers were last known to listen; absent when none had said so. */
  receiverDownSince?: string;
  /** When a receiver listened again. */
  receiverUpAt: string;
}

/** The typed result of a databricksRun workflow (also attached to its failure when the run failed). */
export interface RunResult {
  outcome: RunOutcome;
  succeeded: boolean;
  /** The Databricks run, exact; empty when the workflow ended before anything was submitted. */
  runId: DatabricksId;
  jobId?: DatabricksId;
  runPageUrl?: string;
  jobFingerprint: string;
  terminationType?: string;
  terminationCode?: string;
  message?: string;
  attempts: AttemptRecord[];
  repairs: number;
  tasks: TaskSnapshot[];
  /** Keys of the tasks (and for_each iterations, as `key[i]`) that did not succeed, when any. */
  failedTasks?: string[];
  outputs: TaskOutput[];
  /** Set when outputs were left out to keep the result small (the count, and how to read them). */
  outputsOmitted?: string;
  runDurationMs?: number;
  waitMode: 'webhook' | 'poll' | 'heartbeat';
  /** Set when the workflow was cancelled with onCancel "detach": the Databricks run was left running. */
  detached?: boolean;
  /** Features this workspace did not offer and what was done instead (e.g. repair → resubmit). */
  fallbacks?: string[];
  /** Set when the run's end was found by a receiver's catch-up: its notification had been lost. */
  caughtUp?: CaughtUp;
}

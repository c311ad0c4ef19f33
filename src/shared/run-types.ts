/** Shapes exchanged between the databricksRun workflow, its activities and clients. No secrets. */

/** What Lakeloop knows about a Databricks run at one moment (from runs/get). */
export interface RunSnapshot {
  runId: number;
  jobId?: number;
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
  latestRepairId?: number;
}

export interface TaskSnapshot {
  taskKey: string;
  runId: number;
  attemptNumber?: number;
  lifeCycleState?: string;
  resultState?: string;
  terminationCode?: string;
  durationMs?: number;
}

export interface SubmitResult {
  runId: number;
  jobId?: number;
  runPageUrl?: string;
  /** sha256 of the job settings (or the submit spec) that ran: ties every result to a job version. */
  jobFingerprint: string;
  /** True when this worker's webhook receiver will be told when the run ends. */
  webhooksAvailable: boolean;
}

export interface TaskOutput {
  taskKey: string;
  runId: number;
  /** dbutils.notebook.exit value (or LAKELOOP_TASK_OUTPUT), bounded in size. */
  result?: string;
  resultTruncated?: boolean;
  /** The last lines of the task's logs, bounded. */
  logTail?: string;
  error?: string;
  errorTrace?: string;
}

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

export interface AttemptRecord {
  attempt: number;
  runId: number;
  kind: 'submit' | 'repair';
  repairId?: number;
  outcome: RunOutcome;
  terminationType?: string;
  terminationCode?: string;
  message?: string;
}

/** The typed result of a databricksRun workflow (also attached to its failure when the run failed). */
export interface RunResult {
  outcome: RunOutcome;
  succeeded: boolean;
  runId: number;
  jobId?: number;
  runPageUrl?: string;
  jobFingerprint: string;
  terminationType?: string;
  terminationCode?: string;
  message?: string;
  attempts: AttemptRecord[];
  repairs: number;
  tasks: TaskSnapshot[];
  outputs: TaskOutput[];
  runDurationMs?: number;
  waitMode: 'webhook' | 'poll' | 'heartbeat';
  /** Set when the workflow was cancelled with onCancel "detach": the Databricks run was left running. */
  detached?: boolean;
}

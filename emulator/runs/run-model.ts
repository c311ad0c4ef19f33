/**
 * The emulator's own record of runs. These are plain data (no classes, no closures) so a snapshot is
 * one JSON.stringify away and a restored workspace is indistinguishable from the one that was saved.
 * All times are emulated epoch milliseconds except the `actual*Ms` fields, which are wall-clock and
 * exist for benchmarks (termination-detection latency).
 */
import type {
  TaskSettings,
  WebhookNotifications,
  NotificationSettings,
} from '../jobs/job-settings-schema.js';

export const LIFE_CYCLE_STATES = [
  'QUEUED',
  'PENDING',
  'RUNNING',
  'TERMINATING',
  'TERMINATED',
  'SKIPPED',
  'INTERNAL_ERROR',
  'BLOCKED',
  'WAITING_FOR_RETRY',
] as const;
export type LifeCycleState = (typeof LIFE_CYCLE_STATES)[number];

export const RESULT_STATES = [
  'SUCCESS',
  'FAILED',
  'TIMEDOUT',
  'CANCELED',
  'MAXIMUM_CONCURRENT_RUNS_REACHED',
  'EXCLUDED',
  'SUCCESS_WITH_FAILURES',
  'UPSTREAM_FAILED',
  'UPSTREAM_CANCELED',
  'DISABLED',
] as const;
export type ResultState = (typeof RESULT_STATES)[number];

export const TERMINATION_CODES = [
  'SUCCESS',
  'SUCCESS_WITH_FAILURES',
  'USER_CANCELED',
  'CANCELED',
  'SKIPPED',
  'DISABLED',
  'INTERNAL_ERROR',
  'DRIVER_ERROR',
  'CLUSTER_ERROR',
  'REPOSITORY_CHECKOUT_FAILED',
  'INVALID_CLUSTER_REQUEST',
  'WORKSPACE_RUN_LIMIT_EXCEEDED',
  'FEATURE_DISABLED',
  'CLUSTER_REQUEST_LIMIT_EXCEEDED',
  'STORAGE_ACCESS_ERROR',
  'RUN_EXECUTION_ERROR',
  'UNAUTHORIZED_ERROR',
  'LIBRARY_INSTALLATION_ERROR',
  'MAX_CONCURRENT_RUNS_EXCEEDED',
  'MAX_SPARK_CONTEXTS_EXCEEDED',
  'RESOURCE_NOT_FOUND',
  'INVALID_RUN_CONFIGURATION',
  'CLOUD_FAILURE',
  'MAX_JOB_QUEUE_SIZE_EXCEEDED',
  'BREAKING_CHANGE',
  'CLUSTER_TERMINATED_BY_USER',
  'BUDGET_POLICY_LIMIT_EXCEEDED',
] as const;
export type TerminationCode = (typeof TERMINATION_CODES)[number];

export const TERMINATION_TYPES = ['SUCCESS', 'CLIENT_ERROR', 'INTERNAL_ERROR', 'CLOUD_FAILURE'] as const;
export type TerminationType = (typeof TERMINATION_TYPES)[number];

/** The three terminal life-cycle states (reference §1.5). */
export type TerminalLifeCycle = 'TERMINATED' | 'SKIPPED' | 'INTERNAL_ERROR';

export function isTerminal(state: LifeCycleState): state is TerminalLifeCycle {
  return state === 'TERMINATED' || state === 'SKIPPED' || state === 'INTERNAL_ERROR';
}

/** How a task (or a whole run) ended. */
export interface Outcome {
  lifeCycle: TerminalLifeCycle;
  result: ResultState;
  code: TerminationCode;
  type: TerminationType;
  stateMessage: string;
}

/** What a task produced, as runs/get-output reports it. */
export interface TaskOutput {
  notebookResult?: string;
  notebookResultTruncated?: boolean;
  logs?: string;
  logsTruncated?: boolean;
  error?: string;
  errorTrace?: string;
}

/** A scenario task's script, decided when the task starts (so a restart replays it exactly). */
export interface TaskPlan {
  setupMs: number;
  executionMs: number;
  cleanupMs: number;
  outcome: Outcome;
  output: TaskOutput;
  /** The scenario rule that produced the plan, for debugging; absent for the default plan. */
  ruleId?: string;
}

export type TaskExecutor = 'scenario' | 'python' | 'for_each';

/**
 * The loop state of a for_each task run (docs.databricks.com/jobs/for-each.html): the resolved input
 * array, how many iterations may run at once, and the iterations scheduled so far. Iterations are
 * created when a slot frees, so `iterations.length` is ForEachStats' `scheduled_iterations` and
 * `items.length` its `total_iterations` (databricks-sdk-py `service/jobs.py` ForEachTaskTaskRunStats).
 */
export interface ForEachState {
  /** The elements of the resolved `inputs` array, as parsed JSON. */
  items: unknown[];
  concurrency: number;
  iterations: TaskRun[];
}

/** What makes a task run an iteration of a for_each task. */
export interface IterationInfo {
  /** The for_each task run this iteration belongs to. */
  parentTaskRunId: number;
  /** Position of its element in the input array. */
  index: number;
  /** The element itself: what `{{input}}` (and `{{input.<key>}}`) resolve from. */
  input: unknown;
}

export interface TaskRun {
  runId: number;
  taskKey: string;
  /** 0 for the first attempt; each repair that re-runs the task adds one. */
  attempt: number;
  /** The task settings this attempt runs with. */
  spec: TaskSettings;
  executor: TaskExecutor;
  phase: LifeCycleState;
  /** When the current phase began and (for timed phases) when it ends. */
  phaseStartedAt: number;
  phaseEndsAt?: number;
  startTime: number;
  endTime: number;
  setupMs: number;
  executionMs: number;
  cleanupMs: number;
  /** Task-level timeout_seconds expressed as an emulated deadline. */
  deadlineAt?: number;
  plan?: TaskPlan;
  outcome?: Outcome;
  output?: TaskOutput;
  /** Invalidates scheduled callbacks when the task is cancelled, timed out or replaced. */
  gen: number;
  actualStartMs?: number;
  actualEndMs?: number;
  /** Present on a for_each task run once it has started. */
  forEach?: ForEachState;
  /** Present on an iteration of a for_each task. */
  iteration?: IterationInfo;
}

export interface HistoryEntry {
  type: 'ORIGINAL' | 'REPAIR';
  /** The repair id; absent for the original run, as in Databricks. */
  id?: number;
  startTime: number;
  endTime: number;
  taskRunIds: number[];
  outcome?: Outcome;
}

export interface JobParameterValue {
  name: string;
  default?: string;
  value: string;
}

export type RunType = 'JOB_RUN' | 'SUBMIT_RUN';

export interface RunRecord {
  runId: number;
  /** Job runs carry their job's id; one-time runs get an id of their own hidden job, as Databricks does. */
  jobId: number;
  runName: string;
  runType: RunType;
  creator: string;
  createdAt: number;
  /** When the run left the queue (equals createdAt for runs that never queued). */
  startedAt: number;
  endTime: number;
  phase: LifeCycleState;
  phaseEndsAt?: number;
  outcome?: Outcome;
  queueReason?: 'MAX_CONCURRENT_RUNS_REACHED';
  timeoutSeconds: number;
  deadlineAt?: number;
  /** Set while a cancel or a run-level timeout is tearing the run down. */
  stopping?: 'user' | 'timeout';
  tasks: TaskRun[];
  /** Attempts replaced by repairs; still readable through runs/get-output. */
  previousAttempts: TaskRun[];
  history: HistoryEntry[];
  idempotencyToken?: string;
  webhooks?: WebhookNotifications;
  notificationSettings?: NotificationSettings;
  jobParameters?: JobParameterValue[];
  /** The job's `job_clusters` (or the submitted ones) as the run was created; runs/get returns them. */
  jobClusters?: unknown[];
  overridingParameters?: Record<string, unknown>;
  /** python_params from run-now, which replace spark_python_task parameters. */
  pythonParams?: string[];
  /** Emulated ms the run spent active before the current span (run_duration adds up repairs). */
  activeMsBefore: number;
  activeSince?: number;
  gen: number;
  actualCreatedMs: number;
  actualEndMs?: number;
}

/**
 * The orphan reaper's vocabulary, shared by its workflow, its activities, the worker that schedules it
 * and `lakeloop reap`. Deterministic code only (the workflow bundle imports it).
 *
 * An orphan is a Databricks run whose databricksRun workflow closed without cancelling it: the workflow
 * was terminated, hit an execution or run timeout set by whoever started it, or its parent was
 * terminated — no workflow code runs after those. The visibility store still holds the workflow's last
 * `DatabricksRunState`; a non-terminal one names a run that may still be going (and costing money).
 */
import type { DatabricksId } from './databricks-id.js';
import { RUN_OUTCOMES } from './run-classification.js';

export const REAPER_WORKFLOW_TYPE = 'orphanReaper';

/** One Schedule per task queue: workers serving other queues in the namespace keep theirs. */
export function reaperScheduleId(taskQueue: string): string {
  return `lakeloop-orphan-reaper-${taskQueue}`;
}

/**
 * Every value databricksRun writes to `DatabricksRunState` once its run has ended (its `show()`:
 * `outcome ?? lifeCycleState ?? 'SUBMITTED'`): the classified outcomes and Databricks' terminal life
 * cycle states (RunLifeCycleState TERMINATED, SKIPPED, INTERNAL_ERROR). Anything else — SUBMITTED,
 * QUEUED, PENDING, RUNNING, TERMINATING, BLOCKED, WAITING_FOR_RETRY, UNKNOWN, a state this version does
 * not know — may be a run still going, so the reaper looks at it (runs/get decides).
 */
export const TERMINAL_RUN_STATES = [...RUN_OUTCOMES, 'TERMINATED'] as const;

/** The input of the orphanReaper workflow (all optional). */
export interface ReaperInput {
  /** Report what would be cancelled, cancel nothing, and leave the next sweep's start where it was. */
  dryRun?: boolean;
  /** The oldest close time looked at, e.g. "7d" or milliseconds (default 7d). */
  lookBack?: string | number;
  /** Runs looked at (runs/get) per sweep; the rest wait for the next sweep (default 100). */
  maxRunsPerSweep?: number;
}

export const REAPER_DEFAULTS = {
  lookBackMs: 7 * 86_400_000,
  maxRunsPerSweep: 100,
  /** Candidates listed per visibility page, and at most per sweep before the window is narrowed. */
  pageSize: 500,
  maxListed: 5_000,
  /**
   * How far back of its own start a complete sweep leaves the next one to begin: visibility is
   * eventually consistent, so a workflow that closed just before may not be listed yet.
   */
  visibilityLagMs: 2 * 60_000,
  /** How long a sweep waits for a cancelled run to reach a terminal state before reporting it as requested. */
  confirmCancelMs: 60_000,
} as const;

/** A closed databricksRun workflow whose recorded state was not terminal (from the visibility store). */
export interface OrphanCandidate {
  workflowId: string;
  workflowRunId: string;
  /** How the workflow closed: TERMINATED, TIMED_OUT, FAILED, CANCELED, COMPLETED. */
  workflowStatus: string;
  /** ISO 8601. */
  closeTime: string;
  /** The `DatabricksRunState` it closed with. */
  recordedState: string;
  databricksRunId?: DatabricksId;
  detached: boolean;
}

/** What the reaper did with one run. */
export type ReapAction =
  /** runs/cancel sent and the run reached a terminal state. */
  | 'cancelled'
  /** runs/cancel sent; the run was still terminating when the sweep stopped waiting. */
  | 'cancel-requested'
  /** Dry run: the run is active and a sweep would cancel it. */
  | 'would-cancel'
  /** The run had already ended (the workflow's state was just stale). */
  | 'already-ended'
  /** The workspace no longer has the run (deleted, or past its retention): nothing to cancel. */
  | 'not-found'
  /** runs/get or runs/cancel failed; `reason` says why. The next sweep tries again. */
  | 'failed'
  /** Not touched: detached on purpose, or closed before Databricks returned a run id. */
  | 'skipped';

/** One Databricks run the reaper looked at (the candidate it was), and what it did. */
export interface ReapedRun extends Omit<OrphanCandidate, 'detached'> {
  action: ReapAction;
  /** The run's state as runs/get reported it last (the outcome once terminal). */
  runState?: string;
  reason?: string;
}

/** What one orphanReaper sweep found and did. */
export interface ReaperReport {
  taskQueue: string;
  dryRun: boolean;
  /** Close times looked at: [since, until). ISO 8601. */
  window: { since: string; until: string };
  /** Closed databricksRun workflows with a non-terminal recorded state in the window. */
  found: number;
  cancelled: ReapedRun[];
  /** Dry run only. */
  wouldCancel: ReapedRun[];
  alreadyEnded: ReapedRun[];
  failed: ReapedRun[];
  skipped: ReapedRun[];
  /** Found but over the per-sweep cap (or past a narrowed window): the next sweep continues there. */
  deferred: number;
  /** Where the next sweep starts (close time, inclusive); absent after a dry run. */
  nextSince?: string;
}

/**
 * What a finished sweep leaves in its memo for the next one: where to start, and the workflow runs it
 * settled that closed at or after that point (the next sweep looks back a little for visibility's lag,
 * and must not spend its cap on runs already settled).
 */
export interface ReaperCursor {
  nextSince: string;
  /** Workflow run ids. */
  settled: string[];
}

/** The memo key of the ReaperCursor. */
export const REAPER_CURSOR_MEMO = 'reaperCursor';
/** Settled runs carried from sweep to sweep at most (a burst beyond it is only looked at once more). */
export const MAX_SETTLED_CARRIED = 1_000;

/** Actions after which a candidate needs no further look. */
export function isSettled(action: ReapAction): boolean {
  return (
    action === 'cancelled' || action === 'already-ended' || action === 'not-found' || action === 'skipped'
  );
}

/** Which list of the report an action goes to. */
export function reportListOf(
  action: ReapAction,
): keyof Pick<ReaperReport, 'cancelled' | 'wouldCancel' | 'alreadyEnded' | 'failed' | 'skipped'> {
  switch (action) {
    case 'cancelled':
    case 'cancel-requested':
      return 'cancelled';
    case 'would-cancel':
      return 'wouldCancel';
    case 'already-ended':
    case 'not-found':
      return 'alreadyEnded';
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'skipped';
  }
}

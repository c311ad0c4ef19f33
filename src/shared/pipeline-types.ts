/** What the mlPipeline workflow reports: live (status query) and at the end (result). No secrets. */

/** The steps of an mlPipeline, in the order they run. */
export type StepName = 'train' | 'evaluate' | 'approval' | 'register' | 'score';
/** Where a pipeline step stands. */
export type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'waiting';

/** One step of a pipeline: its state, and its Databricks run once it has one. */
export interface StepStatus {
  name: StepName;
  state: StepState;
  detail?: string;
  /** Child workflow of a train/score step. */
  workflowId?: string;
  /** Exact decimal id (int64). */
  databricksRunId?: string;
  runPageUrl?: string;
}

/** How the approval gate was decided, and by whom. */
export interface ApprovalDecision {
  decision: 'approve' | 'reject';
  by: string;
  comment?: string;
  /** True when nobody decided and the pipeline's onTimeout default applied. */
  timedOut?: boolean;
}

/**
 * The typed result of an mlPipeline workflow: each step, the gate's decision and the model version
 * promoted.
 */
export interface PipelineResult {
  pipeline: string;
  /** The registered model and the alias the pipeline promotes (absent in results recorded before lineage). */
  model?: string;
  alias?: string;
  steps: StepStatus[];
  metric: string;
  candidate: { mlflowRunId?: string; metrics: Record<string, number>; value?: number };
  champion?: { version: string; value?: number };
  decision: { passed: boolean; reason: string; approval?: ApprovalDecision };
  /** The version that now holds the alias (new when promoted, else the existing champion). */
  modelVersion?: string;
  promoted: boolean;
  scoredWithVersion?: string;
  score?: Record<string, unknown>;
}

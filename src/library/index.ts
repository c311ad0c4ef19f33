/**
 * `lakeloop`: the types every side of a Lakeloop integration shares (workflow code, activities,
 * clients), and the validators the workflows themselves run on their input. Nothing here touches the
 * network, the file system or Temporal, so it is safe to import anywhere.
 *
 * The other entry points: `lakeloop/workflows` (for a workflow bundle), `lakeloop/activities` and
 * `lakeloop/worker` (for a worker process), `lakeloop/client` (for code that starts runs).
 *
 * @packageDocumentation
 */
export type { AuthType } from '../auth/types.js';
export type { DatabricksId } from '../shared/databricks-id.js';
export {
  parseRunInput,
  type ParseResult,
  type RunInput,
  type SubmitSpec,
  type ValidRunInput,
} from '../shared/run-input.js';
export type {
  AttemptRecord,
  CaughtUp,
  RunOutcome,
  RunResult,
  RunSnapshot,
  SubmitResult,
  TaskOutput,
  TaskSnapshot,
} from '../shared/run-types.js';
export {
  parsePipeline,
  type PipelineDefinition,
  type PipelineParse,
  type ValidPipeline,
} from '../shared/pipeline-definition.js';
export type {
  ApprovalDecision,
  PipelineResult,
  StepName,
  StepState,
  StepStatus,
} from '../shared/pipeline-types.js';
export {
  PROVENANCE_TAG,
  provenanceTags,
  registeringWorkflow,
  type ModelProvenance,
  type RegisteringWorkflow,
} from '../shared/model-provenance.js';

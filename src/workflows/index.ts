/**
 * `lakeloop/workflows`: Lakeloop's workflow functions, for a Temporal workflow bundle. Lakeloop's own
 * worker bundles this file; a worker of yours bundles a workflows file of its own that re-exports it
 * (`export * from 'lakeloop/workflows'`) next to your workflows, and your workflows can run
 * `databricksRun` or `mlPipeline` as children (`executeChild(databricksRun, { args: [input] })`).
 *
 * Only deterministic code may be reachable from this file (enforced by ESLint; see eslint.config.js):
 * the Temporal bundler rejects Node built-ins, and replay needs the same commands every time.
 *
 * @packageDocumentation
 */
export { healthCheck, type HealthCheckInput, type HealthCheckResult } from './health-check.js';
export {
  catchUpSignal,
  databricksRun,
  notificationSignal,
  statusQuery,
  type CatchUpRequest,
  type RunNotification,
  type RunStatusView,
} from './databricks-run.js';
export {
  approveSignal,
  decideUpdate,
  mlPipeline,
  pipelineStatusQuery,
  rejectSignal,
  type ApprovalCandidate,
  type ApprovalInput,
  type PipelineStatusView,
} from './ml-pipeline.js';
export { orphanReaper } from './orphan-reaper.js';
export {
  receiverHeartbeatSignal,
  receiversQuery,
  webhookReceivers,
  webhookReceiversWorkflowId,
  type ReceiverHeartbeat,
  type ReceiverRecords,
} from './webhook-receivers.js';
// Types only (erased from the bundle): the inputs and results of the workflows above.
export type { RunInput } from '../shared/run-input.js';
export type { RunResult } from '../shared/run-types.js';
export type { PipelineDefinition } from '../shared/pipeline-definition.js';
export type { PipelineResult } from '../shared/pipeline-types.js';
export type { ReapAction, ReapedRun, ReaperInput, ReaperReport } from '../shared/reaper.js';

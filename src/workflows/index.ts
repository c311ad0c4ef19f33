// The workflow bundle's entry point: every workflow type the worker serves is exported here.
// Only deterministic code may be reachable from this file (enforced by ESLint; see eslint.config.js).
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

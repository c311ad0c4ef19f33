/**
 * `lakeloop/client`: start and follow Lakeloop's workflows from your own code, over your own
 * `@temporalio/client` Client (your connection, namespace, data converter and interceptors).
 *
 * ```ts
 * import { Client, Connection } from '@temporalio/client';
 * import { startDatabricksRun } from 'lakeloop/client';
 *
 * const client = new Client({ connection: await Connection.connect() });
 * const handle = await startDatabricksRun(client, { jobId: '123' }, { taskQueue: 'lakeloop' });
 * const result = await handle.result(); // RunResult
 * ```
 *
 * @packageDocumentation
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startPipelineWorkflow, startRunWorkflow, type StartOptions } from '../client/start.js';
import { parsePipeline, type PipelineDefinition } from '../shared/pipeline-definition.js';
import { parseRunInput, type RunInput } from '../shared/run-input.js';
import type { databricksRun, mlPipeline } from '../workflows/index.js';

export type { StartOptions } from '../client/start.js';
export { attachedRunResult, failureReason } from '../client/outcome.js';
export { describeStatus, followRun } from '../client/commands/runs.js';
export {
  approveSignal,
  decideUpdate,
  notificationSignal,
  pipelineStatusQuery,
  rejectSignal,
  statusQuery,
  type ApprovalCandidate,
  type ApprovalInput,
  type PipelineStatusView,
  type RunNotification,
  type RunStatusView,
} from '../workflows/index.js';

/**
 * Input that the workflow's own schema rejects, found before anything was started; `problems` name
 * each field (`"wait.mode: …"`), as the workflow would have.
 */
export class InvalidInputError extends Error {
  /** One line per problem, each starting with the field's path. */
  readonly problems: readonly string[];

  constructor(what: string, problems: string[]) {
    super(`invalid ${what}: ${problems.join('; ')}`);
    this.name = 'InvalidInputError';
    this.problems = problems;
  }
}

/**
 * Validates `input` with the databricksRun workflow's own schema and starts the workflow on
 * `options.taskQueue`. The handle is typed: `handle.result()` resolves to a `RunResult` when the
 * Databricks run succeeded, and rejects (with the `RunResult` attached: see {@link attachedRunResult})
 * when it did not.
 *
 * @throws {@link InvalidInputError} when the input is invalid; nothing is started then.
 */
export function startDatabricksRun(
  client: Client,
  input: RunInput,
  options: StartOptions,
): Promise<WorkflowHandle<typeof databricksRun>> {
  const parsed = parseRunInput(input);
  if (!parsed.ok) return Promise.reject(new InvalidInputError('databricksRun input', parsed.problems));
  return startRunWorkflow(client, input, options);
}

/**
 * Validates a pipeline definition with the mlPipeline workflow's own schema and starts it on
 * `options.taskQueue`, with the `LakeloopPipeline` search attribute set to its name (register it on
 * your namespace: `lakeloop list --pipeline` and the Web UI filter on it).
 *
 * @throws {@link InvalidInputError} when the definition is invalid; nothing is started then.
 */
export function startPipeline(
  client: Client,
  definition: PipelineDefinition,
  options: StartOptions,
): Promise<WorkflowHandle<typeof mlPipeline>> {
  const parsed = parsePipeline(definition);
  if (!parsed.ok) return Promise.reject(new InvalidInputError('pipeline definition', parsed.problems));
  return startPipelineWorkflow(client, definition, options);
}

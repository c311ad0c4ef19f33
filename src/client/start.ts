/**
 * Starting Lakeloop's workflows from any Temporal client: the CLI, the demo and library users
 * (`lakeloop/client`) all start them the same way — on the worker's task queue, with the one-line
 * summary and the details the Temporal Web UI shows, and (for pipelines) the search attribute that
 * `lakeloop list --pipeline` filters on.
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { PipelineDefinition } from '../shared/pipeline-definition.js';
import type { RunInput } from '../shared/run-input.js';
import { LakeloopPipeline } from '../shared/search-attributes.js';
import { pipelineDetails, runDetails } from '../shared/ui-details.js';
import { pipelineSummary, runSummary } from '../shared/ui-summary.js';
import type { databricksRun, mlPipeline } from '../workflows/index.js';

/** Where and under which id a Lakeloop workflow starts. */
export interface StartOptions {
  /** The task queue of a worker that serves Lakeloop's workflows and activities. */
  taskQueue: string;
  /** Defaults to `databricks-run-<uuid>` for runs and `pipeline-<name>-<8 hex>` for pipelines. */
  workflowId?: string;
}

/** Starts a databricksRun workflow with `input` as given (callers validate it first). */
export function startRunWorkflow(
  client: Client,
  input: RunInput,
  options: StartOptions,
): Promise<WorkflowHandle<typeof databricksRun>> {
  return client.workflow.start<typeof databricksRun>('databricksRun', {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId ?? `databricks-run-${randomUUID()}`,
    args: [input],
    staticSummary: runSummary(input),
    staticDetails: runDetails(input),
  });
}

/** Starts an mlPipeline workflow with `definition` as given (callers validate it first). */
export function startPipelineWorkflow(
  client: Client,
  definition: PipelineDefinition,
  options: StartOptions,
): Promise<WorkflowHandle<typeof mlPipeline>> {
  return client.workflow.start<typeof mlPipeline>('mlPipeline', {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId ?? `pipeline-${definition.name}-${randomUUID().slice(0, 8)}`,
    args: [definition],
    typedSearchAttributes: [{ key: LakeloopPipeline, value: definition.name }],
    staticSummary: pipelineSummary(definition),
    staticDetails: pipelineDetails(definition),
  });
}

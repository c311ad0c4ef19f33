/** `lakeloop pipeline start|status|approve|reject`. */
import { userInfo } from 'node:os';
import type { WorkflowHandle } from '@temporalio/client';
import type { ValidPipeline } from '../../shared/pipeline-definition.js';
import type { PipelineResult } from '../../shared/pipeline-types.js';
import type { mlPipeline } from '../../workflows/index.js';
import { CommandFailed, parse, UsageError, withClient } from '../cli-support.js';
import type { LakeloopClient } from '../connect.js';
import { startPipelineWorkflow } from '../start.js';
import { formatPipelineResult, readPipelineFile } from './pipelines.js';
import { explainFailure } from './runs.js';
import { status } from './workflows.js';

/** Starts an mlPipeline as the CLI and the demo do: its name as a search attribute, summary and details for the UI. */
export function startPipeline(
  lakeloop: LakeloopClient,
  pipeline: ValidPipeline,
  workflowId?: string,
): Promise<WorkflowHandle<typeof mlPipeline>> {
  return startPipelineWorkflow(lakeloop.client, pipeline, { taskQueue: lakeloop.taskQueue, workflowId });
}

async function start(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'workflow-id': { type: 'string' },
    },
    1,
  );
  const pipeline = readPipelineFile(positionals[0]!);
  return withClient(async (lakeloop) => {
    const handle = await startPipeline(lakeloop, pipeline, values['workflow-id']);
    if (!values.wait) {
      console.log(
        values.json ? JSON.stringify({ workflowId: handle.workflowId }) : `started ${handle.workflowId}`,
      );
      return 0;
    }
    try {
      const result = (await handle.result()) as PipelineResult;
      console.log(
        values.json
          ? JSON.stringify({ workflowId: handle.workflowId, result })
          : formatPipelineResult(handle.workflowId, result),
      );
      return 0;
    } catch (err) {
      const { reason } = explainFailure(err);
      if (!values.json) throw new CommandFailed(reason);
      console.log(JSON.stringify({ workflowId: handle.workflowId, error: reason }));
      return 1;
    }
  });
}

async function decide(decision: 'approve' | 'reject', argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    { by: { type: 'string' }, comment: { type: 'string' }, candidate: { type: 'string' } },
    1,
  );
  await withClient(async (lakeloop) => {
    const handle = lakeloop.client.workflow.getHandle(positionals[0]!);
    const decided = await handle
      .executeUpdate('decide', {
        args: [
          {
            decision,
            by: values.by ?? userInfo().username,
            comment: values.comment,
            // Refused unless this is the candidate waiting at the gate (its MLflow or train run id).
            ...(values.candidate !== undefined ? { candidate: values.candidate } : {}),
          },
        ],
      })
      .catch((err: unknown) => {
        throw new CommandFailed(
          `${decision} refused: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`,
        );
      });
    console.log(`${positionals[0]}: ${JSON.stringify(decided)}`);
  });
}

export async function pipelineCommand(argv: string[]): Promise<number | void> {
  const [sub, ...rest] = argv;
  if (sub === 'start') return start(rest);
  // The same status as `lakeloop status`: pipelines are Lakeloop workflows like any other.
  if (sub === 'status') return status(rest);
  if (sub === 'approve' || sub === 'reject') return decide(sub, rest);
  throw new UsageError(`unknown pipeline command "${sub ?? ''}": expected start, status, approve or reject`);
}

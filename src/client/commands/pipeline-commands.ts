/** `lakeloop pipeline start|status|approve|reject`. */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { PipelineResult } from '../../shared/pipeline-types.js';
import { LakeloopPipeline } from '../../shared/search-attributes.js';
import { pipelineSummary } from '../../shared/ui-summary.js';
import type { PipelineStatusView } from '../../workflows/ml-pipeline.js';
import { CommandFailed, parse, UsageError, withClient } from '../cli-support.js';
import { formatPipelineResult, readPipelineFile } from './pipelines.js';
import { explainFailure } from './runs.js';

export async function pipelineCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'start') {
    const { values, positionals } = parse(
      rest,
      {
        wait: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'workflow-id': { type: 'string' },
      },
      1,
    );
    const pipeline = readPipelineFile(positionals[0]!);
    await withClient(async (lakeloop) => {
      const handle = await lakeloop.client.workflow.start('mlPipeline', {
        taskQueue: lakeloop.taskQueue,
        workflowId: values['workflow-id'] ?? `pipeline-${pipeline.name}-${randomUUID().slice(0, 8)}`,
        args: [pipeline],
        typedSearchAttributes: [{ key: LakeloopPipeline, value: pipeline.name }],
        staticSummary: pipelineSummary(pipeline),
      });
      if (!values.wait) {
        console.log(
          values.json ? JSON.stringify({ workflowId: handle.workflowId }) : `started ${handle.workflowId}`,
        );
        return;
      }
      try {
        const result = (await handle.result()) as PipelineResult;
        console.log(
          values.json
            ? JSON.stringify({ workflowId: handle.workflowId, result })
            : formatPipelineResult(handle.workflowId, result),
        );
      } catch (err) {
        throw new CommandFailed(explainFailure(err).reason);
      }
    });
    return;
  }
  if (sub === 'status') {
    const { values, positionals } = parse(rest, { json: { type: 'boolean', default: false } }, 1);
    await withClient(async (lakeloop) => {
      const view = await lakeloop.client.workflow
        .getHandle(positionals[0]!)
        .query<PipelineStatusView>('status');
      if (values.json) return console.log(JSON.stringify(view));
      console.log(`pipeline ${view.pipeline}${view.awaitingApproval ? ' (waiting for approval)' : ''}`);
      if (view.awaitingApproval && view.candidate) {
        const c = view.candidate;
        console.log(
          `  candidate ${c.mlflowRunId ? `MLflow run ${c.mlflowRunId}, ` : ''}train run ${c.trainRunId}: ${c.metric} ${c.value}` +
            ` (approve with --candidate ${c.mlflowRunId ?? c.trainRunId})`,
        );
      }
      for (const step of view.steps)
        console.log(`  ${step.name.padEnd(9)} ${step.state.padEnd(9)} ${step.detail ?? ''}`);
    });
    return;
  }
  if (sub === 'approve' || sub === 'reject') {
    const { values, positionals } = parse(
      rest,
      { by: { type: 'string' }, comment: { type: 'string' }, candidate: { type: 'string' } },
      1,
    );
    await withClient(async (lakeloop) => {
      const handle = lakeloop.client.workflow.getHandle(positionals[0]!);
      const decision = await handle
        .executeUpdate('decide', {
          args: [
            {
              decision: sub,
              by: values.by ?? userInfo().username,
              comment: values.comment,
              ...(values.candidate !== undefined ? { candidate: values.candidate } : {}),
            },
          ],
        })
        .catch((err: unknown) => {
          throw new CommandFailed(
            `${sub} refused: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`,
          );
        });
      console.log(`${positionals[0]}: ${JSON.stringify(decision)}`);
    });
    return;
  }
  throw new UsageError(`unknown pipeline command "${sub ?? ''}": expected start, status, approve or reject`);
}

/**
 * `lakeloop status | result | cancel | list` for every kind of Lakeloop workflow (run, pipeline,
 * health check, reaper), in one status model: each says plainly how the workflow stands and exits 1
 * when it did not succeed. Errors are left to main(), which prints them as text or, with --json, JSON.
 */
import type { PipelineResult } from '../../shared/pipeline-types.js';
import type { RunResult } from '../../shared/run-types.js';
import type { HealthCheckResult } from '../../workflows/index.js';
import { CommandFailed, parse, withClient } from '../cli-support.js';
import { cancelledRunReason, describeWorkflow, readStatus } from '../inspect.js';
import { outcomeOf, type Outcome } from '../outcome.js';
import { formatStatus } from '../status-text.js';
import { isUnsuccessful, stateWords, type WorkflowKind } from '../workflow-status.js';
import { formatHealthCheck } from './doctor.js';
import { formatList, listWorkflows, parseListFlags } from './list.js';
import { formatPipelineResult } from './pipelines.js';
import { formatResult } from './runs.js';

const JSON_FLAG = { json: { type: 'boolean', default: false } } as const;

export async function status(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, JSON_FLAG, 1);
  return withClient(async (lakeloop) => {
    const s = await readStatus(lakeloop, positionals[0]!);
    console.log(values.json ? JSON.stringify(s) : formatStatus(s));
    return isUnsuccessful(s.state) ? 1 : 0;
  });
}

function formatOutcomeResult(workflowId: string, kind: WorkflowKind, outcome: Outcome): string {
  switch (kind) {
    case 'run':
      return formatResult(workflowId, outcome.result as RunResult);
    case 'pipeline':
      return formatPipelineResult(workflowId, outcome.result as PipelineResult);
    case 'health-check':
      return formatHealthCheck(outcome.result as HealthCheckResult);
    default:
      return JSON.stringify(outcome.result, null, 2);
  }
}

/** Waits for the workflow to end and prints its result; exit 1 (with the reason) when it did not succeed. */
export async function result(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, JSON_FLAG, 1);
  const workflowId = positionals[0]!;
  return withClient(async (lakeloop) => {
    const { handle, summary } = await describeWorkflow(lakeloop, workflowId);
    const ended = await outcomeOf(handle, summary.kind);
    // What it submitted may be known only now that it has ended.
    const last =
      summary.state === 'RUNNING' ? (await describeWorkflow(lakeloop, workflowId)).summary : summary;
    const outcome = { ...ended, reason: cancelledRunReason(last, ended) ?? ended.reason };
    if (values.json) {
      console.log(
        JSON.stringify({
          workflowId,
          kind: summary.kind,
          state: outcome.state,
          ...(outcome.reason !== undefined ? { error: outcome.reason } : {}),
          ...(outcome.result !== undefined ? { result: outcome.result } : {}),
        }),
      );
    } else {
      if (outcome.result !== undefined) console.log(formatOutcomeResult(workflowId, summary.kind, outcome));
      if (isUnsuccessful(outcome.state))
        console.error(
          `lakeloop result: ${workflowId} ${stateWords(outcome.state)}: ${outcome.reason ?? ''}`.trimEnd(),
        );
    }
    return isUnsuccessful(outcome.state) ? 1 : 0;
  });
}

const CANCEL_EFFECT: Partial<Record<WorkflowKind, string>> = {
  run: 'its Databricks run is cancelled too, unless it was started with --detach-on-cancel',
  pipeline: 'its running step and that step’s Databricks run are cancelled with it',
};

/** Cancels a running workflow; one that has ended is refused (exit 1), saying how it ended. */
export async function cancel(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...JSON_FLAG, wait: { type: 'boolean', default: false } }, 1);
  const workflowId = positionals[0]!;
  return withClient(async (lakeloop) => {
    const { handle, summary } = await describeWorkflow(lakeloop, workflowId);
    const ended = (state: string) =>
      new CommandFailed(`${workflowId} has already ended (${state}): there is nothing to cancel`);
    if (summary.state !== 'RUNNING') throw ended(stateWords(summary.state));
    try {
      await handle.cancel();
    } catch (err) {
      // It may have ended between describe() and the request.
      const now = await describeWorkflow(lakeloop, workflowId);
      if (now.summary.state !== 'RUNNING') throw ended(stateWords(now.summary.state));
      throw err;
    }
    if (!values.wait) {
      const effect = CANCEL_EFFECT[summary.kind];
      console.log(
        values.json
          ? JSON.stringify({ workflowId, kind: summary.kind, cancelRequested: true })
          : `cancel requested for ${workflowId} (${summary.kind})${effect ? `: ${effect}` : ''}`,
      );
      return 0;
    }
    await outcomeOf(handle, summary.kind);
    const s = await readStatus(lakeloop, workflowId);
    console.log(values.json ? JSON.stringify(s) : formatStatus(s));
    return s.state === 'CANCELLED' ? 0 : 1;
  });
}

export async function list(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    limit: { type: 'string', default: '20' },
    kind: { type: 'string' },
    pipeline: { type: 'string' },
    state: { type: 'string' },
    ...JSON_FLAG,
  });
  const filters = parseListFlags(values);
  return withClient(async (lakeloop) => {
    const rows = await listWorkflows(lakeloop, filters);
    console.log(values.json ? JSON.stringify(rows) : formatList(rows, filters));
    return 0;
  });
}

/**
 * `lakeloop list`: recent Lakeloop workflows, newest first, runs and pipelines by default, in the one
 * status model (workflow-status.ts), read from Temporal's visibility store — no worker needed.
 */
import type { LakeloopClient } from '../connect.js';
import { UsageError } from '../cli-support.js';
import {
  KIND_NAMES,
  STATES,
  summarize,
  workflowTypeOf,
  type LakeloopState,
  type WorkflowKind,
  type WorkflowSummary,
} from '../workflow-status.js';

export interface ListFilters {
  kinds: WorkflowKind[];
  pipeline?: string;
  state?: LakeloopState;
  limit: number;
}

/**
 * The execution statuses (visibility's spelling) that can hold each state: a run that completed may
 * have been detached by a cancel, and one that failed may have timed out (lakeloopState decides).
 */
const STATUSES_OF: Record<LakeloopState, string[]> = {
  RUNNING: ['Running'],
  SUCCEEDED: ['Completed'],
  FAILED: ['Failed'],
  CANCELLED: ['Canceled', 'Completed'],
  TIMED_OUT: ['TimedOut', 'Failed'],
  TERMINATED: ['Terminated'],
};

/** Pipeline names are the pipeline schema's (pipeline-definition.ts): nothing to escape in a query. */
const PIPELINE_NAME = /^[A-Za-z0-9][\w.-]{0,99}$/;

export function parseListFlags(values: {
  limit: string;
  kind?: string;
  pipeline?: string;
  state?: string;
}): ListFilters {
  const limit = Number(values.limit);
  if (!/^\d+$/.test(values.limit) || limit < 1 || limit > 1000)
    throw new UsageError(`--limit: expected 1 to 1000 (got "${values.limit}")`);
  let kinds: WorkflowKind[] = ['run', 'pipeline'];
  if (values.kind !== undefined) {
    const asked = values.kind.split(',').map((k) => k.trim().toLowerCase());
    if (asked.includes('all')) kinds = [...KIND_NAMES];
    else {
      const unknown = asked.filter((k) => !(KIND_NAMES as readonly string[]).includes(k));
      if (unknown.length)
        throw new UsageError(
          `--kind: expected ${[...KIND_NAMES, 'all'].join(', ')} (got "${unknown.join(', ')}")`,
        );
      kinds = asked as WorkflowKind[];
    }
  }
  if (values.pipeline !== undefined && !PIPELINE_NAME.test(values.pipeline))
    throw new UsageError(`--pipeline: expected a pipeline name such as "churn" (got "${values.pipeline}")`);
  let state: LakeloopState | undefined;
  if (values.state !== undefined) {
    const normal = values.state
      .trim()
      .toUpperCase()
      .replace(/[\s-]/g, '_')
      .replace(/^CANCELED$/, 'CANCELLED');
    if (!(STATES as readonly string[]).includes(normal))
      throw new UsageError(`--state: expected one of ${STATES.join(', ')} (got "${values.state}")`);
    state = normal as LakeloopState;
  }
  return {
    kinds,
    limit,
    ...(values.pipeline ? { pipeline: values.pipeline } : {}),
    ...(state ? { state } : {}),
  };
}

/** The visibility query for the filters (the state is narrowed again per row). */
export function listQuery(filters: ListFilters): string {
  const types = filters.kinds.map(workflowTypeOf).filter((t): t is string => t !== undefined);
  const clauses = [`WorkflowType IN (${types.map((t) => `'${t}'`).join(', ')})`];
  if (filters.pipeline) clauses.push(`LakeloopPipeline = '${filters.pipeline}'`);
  if (filters.state)
    clauses.push(`ExecutionStatus IN (${STATUSES_OF[filters.state].map((s) => `'${s}'`).join(', ')})`);
  return clauses.join(' AND ');
}

export async function listWorkflows(
  lakeloop: LakeloopClient,
  filters: ListFilters,
): Promise<WorkflowSummary[]> {
  const rows: WorkflowSummary[] = [];
  for await (const execution of lakeloop.client.workflow.list({ query: listQuery(filters) })) {
    const summary = summarize(execution);
    if (filters.state && summary.state !== filters.state) continue;
    rows.push(summary);
    if (rows.length >= filters.limit) break;
  }
  return rows;
}

const COLUMNS: Array<[header: string, value: (r: WorkflowSummary) => string | undefined]> = [
  ['STARTED (UTC)', (r) => r.started.replace('T', ' ').slice(0, 19)],
  ['KIND', (r) => r.kind],
  ['STATE', (r) => r.state],
  ['DATABRICKS RUN', (r) => r.databricksRunId],
  ['RUN STATE', (r) => r.databricksRunState],
  ['PIPELINE', (r) => r.pipeline],
  ['DECISION', (r) => r.decision],
  ['MODEL', (r) => r.modelVersion],
  ['WORKFLOW', (r) => r.workflowId],
];

/** A table with a header; empty cells show "-". */
export function formatList(rows: WorkflowSummary[], filters: ListFilters): string {
  if (rows.length === 0) {
    const what = [filters.state, filters.pipeline ? `pipeline ${filters.pipeline}` : undefined]
      .filter(Boolean)
      .join(', ');
    return `no ${filters.kinds.join(' or ')} workflows${what ? ` (${what})` : ''}`;
  }
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, value]) => value(r) ?? '-'))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells
    .map((c) =>
      c
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

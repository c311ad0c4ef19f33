/**
 * The orphan reaper's activities: find closed databricksRun workflows whose Databricks run may still be
 * going (Temporal's visibility store), and look at — and cancel — each run (the Jobs API).
 *
 * Visibility is read through the raw ListWorkflowExecutions call, not `client.workflow.list()`: the
 * latter decodes every execution's memo with the client's codec, and one memo this worker cannot
 * decode would stop the whole sweep; search attributes are never encoded by a codec.
 */
import { ApplicationFailure, heartbeat, log, sleep } from '@temporalio/activity';
import { isGrpcServiceError, ServiceError, type Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import proto, { type temporal } from '@temporalio/proto';
import { DatabricksApiError } from '../databricks/errors.js';
import type { JobsClient } from '../databricks/jobs.js';
import { requireDatabricksId, toDatabricksId } from '../shared/databricks-id.js';
import {
  REAPER_CURSOR_MEMO,
  REAPER_DEFAULTS,
  REAPER_WORKFLOW_TYPE,
  TERMINAL_RUN_STATES,
  type OrphanCandidate,
  type ReapedRun,
  type ReaperCursor,
} from '../shared/reaper.js';
import type { RunSnapshot } from '../shared/run-types.js';
import { DatabricksRunId, DatabricksRunState, LakeloopDetached } from '../shared/search-attributes.js';
import { withActivityFailures } from './failures.js';
import { toSnapshot } from './run-snapshot.js';

export interface ReaperActivityDeps {
  /** The worker's Temporal client (same namespace and codec as the worker). */
  temporal: () => Client;
  jobs: () => JobsClient;
}

export interface FindOrphansRequest {
  taskQueue: string;
  /** Close times [since, until), ISO 8601. */
  since: string;
  until: string;
  pageSize?: number;
  /** Listed at most; past it the window is narrowed from the top until everything in it fits. */
  maxListed?: number;
}

export interface FindOrphansResult {
  /** Oldest close first. */
  candidates: OrphanCandidate[];
  /** The upper end of the window actually listed in full (≤ until; lower when it had to be narrowed). */
  listedUntil: string;
  /** False only when even a narrowed window held more than maxListed: then nothing was listed in full. */
  complete: boolean;
}

export interface ReapRequest {
  candidate: OrphanCandidate;
  dryRun: boolean;
  confirmCancelMs?: number;
}

const STATUS_PREFIX = 'WORKFLOW_EXECUTION_STATUS_';
const INVALID_ARGUMENT = 3; // gRPC status code

/** A value inside a list-filter string literal; task queue names never need quoting, so refuse them. */
function literal(value: string): string {
  if (/['"\\]/.test(value)) {
    throw ApplicationFailure.nonRetryable(
      `cannot query for ${JSON.stringify(value)}`,
      'InvalidReaperRequest',
    );
  }
  return `'${value}'`;
}

/**
 * Closed databricksRun executions of this task queue, closed in [since, until), whose last recorded
 * `DatabricksRunState` is not terminal. `ExecutionStatus != 'Running'` rather than a list of statuses:
 * every way of closing can leave a run behind (terminated, timed out, failed while cancelling it).
 * `NOT IN` on a Keyword is one of the visibility store's operators (Temporal server's query converter,
 * supportedKeywordOperators; the dev server answers it in test/workflows/orphan-reaper.test.ts).
 * Detached runs are filtered afterwards, not here: an unset Bool is NULL in SQL visibility and would
 * drop every workflow that never set it from a `!= true` comparison.
 */
function orphanQuery(taskQueue: string, since: string, until: string): string {
  const terminal = TERMINAL_RUN_STATES.map(literal).join(', ');
  return [
    `WorkflowType = 'databricksRun'`,
    `TaskQueue = ${literal(taskQueue)}`,
    `ExecutionStatus != 'Running'`,
    `CloseTime >= ${literal(since)}`,
    `CloseTime < ${literal(until)}`,
    `${DatabricksRunState.name} NOT IN (${terminal})`,
  ].join(' AND ');
}

function attribute(fields: Record<string, Payload> | null | undefined, name: string): unknown {
  const payload = fields?.[name];
  if (!payload) return undefined;
  const value: unknown = defaultPayloadConverter.fromPayload(payload);
  // Older servers return every value as a list.
  return Array.isArray(value) ? value[0] : value;
}

function toCandidate(raw: temporal.api.workflow.v1.IWorkflowExecutionInfo): OrphanCandidate {
  const fields = raw.searchAttributes?.indexedFields as Record<string, Payload> | null | undefined;
  const runId = attribute(fields, DatabricksRunId.name);
  const status = proto.temporal.api.enums.v1.WorkflowExecutionStatus[raw.status ?? 0] ?? String(raw.status);
  return {
    workflowId: raw.execution?.workflowId ?? '',
    workflowRunId: raw.execution?.runId ?? '',
    workflowStatus: status.startsWith(STATUS_PREFIX) ? status.slice(STATUS_PREFIX.length) : status,
    closeTime: new Date(optionalTsToMs(raw.closeTime) ?? 0).toISOString(),
    recordedState: String(attribute(fields, DatabricksRunState.name) ?? ''),
    // A Keyword holding the exact decimal id (a number only where the namespace registered it as Int).
    databricksRunId: toDatabricksId(typeof runId === 'number' ? String(runId) : runId),
    detached: attribute(fields, LakeloopDetached.name) === true,
  };
}

/** Lists up to `limit` executions matching `query`; `truncated` when more remain. */
async function listExecutions(
  client: Client,
  query: string,
  limit: number,
  pageSize: number,
): Promise<{ rows: temporal.api.workflow.v1.IWorkflowExecutionInfo[]; truncated: boolean }> {
  const rows: temporal.api.workflow.v1.IWorkflowExecutionInfo[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    let page: temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
    try {
      page = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query,
        pageSize,
        nextPageToken,
      });
    } catch (err) {
      // A query the server refuses (an attribute not registered, an operator it lacks) will not
      // succeed on retry; anything else (unavailable, deadline) may.
      if (isGrpcServiceError(err) && err.code === INVALID_ARGUMENT) {
        throw ApplicationFailure.nonRetryable(
          `the visibility store refused the reaper's query: ${err.details || err.message}`,
          'VisibilityQueryRefused',
        );
      }
      throw err;
    }
    for (const raw of page.executions) {
      if (rows.length >= limit) return { rows, truncated: true };
      rows.push(raw);
    }
    heartbeat({ listed: rows.length });
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { rows, truncated: false };
}

async function readRun(jobs: JobsClient, runId: string): Promise<RunSnapshot> {
  const run = await jobs.getRun(runId);
  return toSnapshot({ ...run, run_id: run.run_id ?? runId });
}

function liveState(snapshot: RunSnapshot): string | undefined {
  return snapshot.statusState ?? snapshot.lifeCycleState;
}

export function createReaperActivities(deps: ReaperActivityDeps) {
  return {
    /**
     * Where the last finished sweep of this task queue left off (its memo), so a sweep looks only at
     * what closed since. Dry runs leave none. A memo this worker cannot decode (a codec key since
     * removed) counts as none: the sweep then covers its whole look-back window, missing nothing.
     */
    async previousReaperCursor(request: { taskQueue: string }): Promise<ReaperCursor | undefined> {
      const client = deps.temporal();
      const query = [
        `WorkflowType = ${literal(REAPER_WORKFLOW_TYPE)}`,
        `TaskQueue = ${literal(request.taskQueue)}`,
        `ExecutionStatus = 'Completed'`,
      ].join(' AND ');
      let looked = 0;
      try {
        // Newest close first (the visibility store's default order); dry runs in between are skipped.
        for await (const execution of client.workflow.list({ query, pageSize: 20 })) {
          const cursor = execution.memo?.[REAPER_CURSOR_MEMO] as Partial<ReaperCursor> | undefined;
          if (typeof cursor?.nextSince === 'string' && !Number.isNaN(Date.parse(cursor.nextSince))) {
            const settled = Array.isArray(cursor.settled) ? cursor.settled : [];
            return { nextSince: cursor.nextSince, settled: settled.filter((id) => typeof id === 'string') };
          }
          if (++looked >= 50) break;
        }
      } catch (err) {
        if (err instanceof ServiceError) throw err;
        log.warn('could not read the previous sweep of the orphan reaper; looking at the whole window', {
          error: (err as Error).message,
        });
      }
      return undefined;
    },

    /**
     * The candidates closed in [since, until), oldest first. Visibility lists newest first
     * (docs.temporal.io/list-filter: "ClosedTime DESC NULL FIRST, StartTime DESC"; the SQL schema's
     * index: `COALESCE(close_time, '9999-12-31') DESC, start_time DESC`), so when the window holds more than maxListed the newest part is dropped (the top halved, again if needed) and
     * the oldest part listed in full: the sweep then works from the oldest, and the next one goes on.
     */
    async findOrphanedRuns(request: FindOrphansRequest): Promise<FindOrphansResult> {
      const client = deps.temporal();
      const since = Date.parse(request.since);
      let until = Date.parse(request.until);
      const maxListed = request.maxListed ?? REAPER_DEFAULTS.maxListed;
      const pageSize = request.pageSize ?? REAPER_DEFAULTS.pageSize;
      for (let narrowed = 0; ; narrowed++) {
        const query = orphanQuery(
          request.taskQueue,
          new Date(since).toISOString(),
          new Date(until).toISOString(),
        );
        const { rows, truncated } = await listExecutions(client, query, maxListed, pageSize);
        const done = !truncated || until - since <= 1_000 || narrowed >= 24;
        if (done) {
          const candidates = rows.map(toCandidate).sort((a, b) => a.closeTime.localeCompare(b.closeTime));
          return { candidates, listedUntil: new Date(until).toISOString(), complete: !truncated };
        }
        until = since + Math.floor((until - since) / 2);
      }
    },

    /**
     * runs/get the candidate's run; cancel it when it is still active (unless dry run) and wait a while
     * for it to end. runs/cancel is asynchronous (the run may still be running when it answers) and a
     * no-op on a run already in a terminal life_cycle_state (the Jobs API reference as quoted by
     * databrickslabs' brickster, `db_jobs_runs_cancel`; the Databricks CLI's `jobs cancel-run` waits
     * for TERMINATED or SKIPPED), so a run that ends between runs/get and runs/cancel is harmless. Throws only what
     * a retry may fix or the workflow should report as a failure; a run the workspace no longer has is
     * an answer, not an error.
     */
    async reapOrphanedRun(request: ReapRequest): Promise<ReapedRun> {
      const { candidate, dryRun } = request;
      const { detached: _detached, ...base } = candidate;
      const runId = requireDatabricksId(candidate.databricksRunId, 'databricksRunId');
      const jobs = deps.jobs();
      return withActivityFailures(async () => {
        let before: RunSnapshot;
        try {
          before = await readRun(jobs, runId);
        } catch (err) {
          if (err instanceof DatabricksApiError && err.kind === 'not-found')
            return { ...base, action: 'not-found', reason: err.message };
          throw err;
        }
        if (before.terminal) return { ...base, action: 'already-ended', runState: before.verdict?.outcome };
        if (dryRun) return { ...base, action: 'would-cancel', runState: liveState(before) };

        await jobs.cancelRun(runId);
        // Not `workflowId`: the log's context already names the sweep's own workflow that way.
        log.warn('cancelled an orphaned Databricks run: its workflow closed without cancelling it', {
          orphanedWorkflowId: candidate.workflowId,
          orphanedWorkflowStatus: candidate.workflowStatus,
          databricksRunId: runId,
          state: liveState(before),
        });
        const confirmWithin = request.confirmCancelMs ?? REAPER_DEFAULTS.confirmCancelMs;
        const deadline = Date.now() + confirmWithin;
        for (;;) {
          await sleep(Math.min(1_000, Math.max(0, deadline - Date.now())));
          const after = await readRun(jobs, runId);
          heartbeat({ state: liveState(after) });
          if (after.terminal) return { ...base, action: 'cancelled', runState: after.verdict?.outcome };
          if (Date.now() >= deadline) {
            return {
              ...base,
              action: 'cancel-requested',
              runState: liveState(after),
              reason: `still ${liveState(after) ?? 'not terminal'} ${confirmWithin} ms after runs/cancel`,
            };
          }
        }
      });
    },
  };
}

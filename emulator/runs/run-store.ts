/**
 * Runs, indexed the ways the API reads them: by run id, by task-run id (runs/get-output takes task
 * runs), by job (runs/list?job_id, concurrency limits) and by idempotency token. Ids only grow, so
 * "creation order" is "id order" and listing newest-first is a walk backwards over a sorted array.
 */
import { decodePageToken, encodePageToken } from '../http/page-token.js';
import { allTaskRuns } from './for-each.js';
import type { RunRecord, RunType, TaskRun } from './run-model.js';
import { isTerminal } from './run-model.js';

export interface RunFilter {
  jobId?: number;
  activeOnly?: boolean;
  completedOnly?: boolean;
  runType?: RunType | 'WORKFLOW_RUN';
  startTimeFrom?: number;
  startTimeTo?: number;
  limit: number;
  offset?: number;
  pageToken?: string;
}

export interface RunPage {
  runs: RunRecord[];
  nextPageToken?: string;
}

export type TokenLookup = { kind: 'run'; run: RunRecord } | { kind: 'deleted' } | undefined;

export class RunStore {
  private readonly runs = new Map<number, RunRecord>();
  /** Run ids in ascending (= creation) order. */
  private readonly order: number[] = [];
  private readonly byJob = new Map<number, number[]>();
  private readonly parentOfTaskRun = new Map<number, number>();
  /** Token → run id; `null` once that run was deleted (reusing the token is then an error). */
  private readonly byToken = new Map<string, number | null>();
  /** Parent runs ever created (not decremented by deletes; a replayed idempotent request adds none). */
  created = 0;

  add(run: RunRecord): void {
    this.runs.set(run.runId, run);
    this.order.push(run.runId);
    const jobRuns = this.byJob.get(run.jobId) ?? [];
    jobRuns.push(run.runId);
    this.byJob.set(run.jobId, jobRuns);
    for (const task of allTaskRuns(run)) this.parentOfTaskRun.set(task.runId, run.runId);
    if (run.idempotencyToken !== undefined) this.byToken.set(run.idempotencyToken, run.runId);
  }

  /** Record a task run added after creation (a repair's new attempt, a for_each iteration). */
  addTaskRun(run: RunRecord, task: TaskRun): void {
    this.parentOfTaskRun.set(task.runId, run.runId);
  }

  get(runId: number): RunRecord | undefined {
    return this.runs.get(runId);
  }

  /** A task run (current or replaced attempt, or a for_each iteration) and the run it belongs to. */
  getTaskRun(taskRunId: number): { run: RunRecord; task: TaskRun } | undefined {
    const parentId = this.parentOfTaskRun.get(taskRunId);
    const run = parentId === undefined ? undefined : this.runs.get(parentId);
    if (!run) return undefined;
    const task = allTaskRuns(run).find((t) => t.runId === taskRunId);
    return task ? { run, task } : undefined;
  }

  byIdempotencyToken(token: string): TokenLookup {
    if (!this.byToken.has(token)) return undefined;
    const runId = this.byToken.get(token);
    const run = runId === null || runId === undefined ? undefined : this.runs.get(runId);
    return run ? { kind: 'run', run } : { kind: 'deleted' };
  }

  /** Tokens of deleted runs, persisted so a restart keeps refusing them. */
  deletedTokens(): string[] {
    return [...this.byToken].filter(([, runId]) => runId === null).map(([token]) => token);
  }

  markTokenDeleted(token: string): void {
    this.byToken.set(token, null);
  }

  delete(run: RunRecord): void {
    this.runs.delete(run.runId);
    removeSorted(this.order, run.runId);
    const jobRuns = this.byJob.get(run.jobId);
    if (jobRuns) removeSorted(jobRuns, run.runId);
    for (const task of allTaskRuns(run)) this.parentOfTaskRun.delete(task.runId);
    if (run.idempotencyToken !== undefined) this.byToken.set(run.idempotencyToken, null);
  }

  /** Runs of one job, oldest first. */
  ofJob(jobId: number): RunRecord[] {
    return (this.byJob.get(jobId) ?? []).flatMap((id) => this.runs.get(id) ?? []);
  }

  values(): IterableIterator<RunRecord> {
    return this.runs.values();
  }

  get size(): number {
    return this.runs.size;
  }

  clear(): void {
    this.runs.clear();
    this.order.length = 0;
    this.byJob.clear();
    this.parentOfTaskRun.clear();
    this.byToken.clear();
    this.created = 0;
  }

  /** Newest first, keyset-paginated. */
  list(filter: RunFilter): RunPage {
    const ids = filter.jobId === undefined ? this.order : (this.byJob.get(filter.jobId) ?? []);
    const after = filter.pageToken ? decodePageToken(filter.pageToken) : undefined;
    let index = after === undefined ? ids.length - 1 : lowerBound(ids, after) - 1;
    let toSkip = filter.offset ?? 0;
    const page: RunRecord[] = [];
    let more = false;
    for (; index >= 0; index--) {
      const run = this.runs.get(ids[index]!);
      if (!run || !matches(run, filter)) continue;
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      if (page.length === filter.limit) {
        more = true;
        break;
      }
      page.push(run);
    }
    const last = page[page.length - 1];
    return { runs: page, ...(more && last ? { nextPageToken: encodePageToken(last.runId) } : {}) };
  }
}

function matches(run: RunRecord, filter: RunFilter): boolean {
  const terminal = isTerminal(run.phase);
  if (filter.activeOnly && terminal) return false;
  if (filter.completedOnly && !terminal) return false;
  if (filter.runType !== undefined && run.runType !== filter.runType) return false;
  if (filter.startTimeFrom !== undefined && run.createdAt < filter.startTimeFrom) return false;
  if (filter.startTimeTo !== undefined && run.createdAt > filter.startTimeTo) return false;
  return true;
}

/** First index whose value is >= target. */
function lowerBound(sorted: readonly number[], target: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function removeSorted(sorted: number[], value: number): void {
  const index = lowerBound(sorted, value);
  if (sorted[index] === value) sorted.splice(index, 1);
}

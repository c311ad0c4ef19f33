/**
 * orphanReaper: one sweep for Databricks runs that no workflow is watching any more.
 *
 * databricksRun cancels its run whenever workflow code still runs (cancel, deadline, failure). It
 * cannot after `temporal workflow terminate`, an execution or run timeout set by the starter, or a
 * parent terminated with a policy that terminates its children: the run keeps going, and costing. The
 * worker's Schedule starts this workflow every LAKELOOP_REAPER_INTERVAL (`lakeloop reap` starts one
 * now):
 *
 *   where the last sweep stopped (its memo) → closed databricksRun workflows of this task queue whose
 *   last DatabricksRunState is not terminal (visibility) → runs/get each, oldest first, up to a cap
 *   → runs/cancel those still active → report (the result, in this workflow's history)
 *
 * Detached runs (`onCancel: "detach"`, search attribute LakeloopDetached) are never touched. A sweep
 * leaves, in its memo, where the next one starts: at the first run it deferred (over the cap) or failed
 * to settle, else a little before its own start (visibility lags).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { createReaperActivities } from '../activities/reaper.js';
import { parseDuration } from '../shared/duration.js';
import {
  isSettled,
  MAX_SETTLED_CARRIED,
  REAPER_CURSOR_MEMO,
  REAPER_DEFAULTS,
  reportListOf,
  type OrphanCandidate,
  type ReapedRun,
  type ReaperCursor,
  type ReaperInput,
  type ReaperReport,
} from '../shared/reaper.js';

type ReaperActivities = ReturnType<typeof createReaperActivities>;

/** Runs looked at in parallel: the worker's request budget paces them further. */
const CONCURRENCY = 5;

const visibility = proxyActivities<ReaperActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});
const workspace = proxyActivities<ReaperActivities>({
  startToCloseTimeout: REAPER_DEFAULTS.confirmCancelMs + 60_000,
  heartbeatTimeout: '30 seconds',
  // A run that still fails after this is reported, and the next sweep tries it again.
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3 },
});

/** One sweep: cancels the Databricks runs of databricksRun workflows that closed without ending them. */
export async function orphanReaper(input: ReaperInput = {}): Promise<ReaperReport> {
  const { taskQueue } = workflowInfo();
  const dryRun = input.dryRun === true;
  const lookBackMs = lookBack(input.lookBack);
  const cap = input.maxRunsPerSweep;
  const maxRuns = Number.isFinite(cap)
    ? Math.min(Math.max(Math.floor(cap!), 1), 1_000)
    : REAPER_DEFAULTS.maxRunsPerSweep;
  const startedAt = Date.now(); // workflow time: replays the same

  const previous = await visibility.previousReaperCursor({ taskQueue });
  const since = Math.max(startedAt - lookBackMs, previous ? Date.parse(previous.nextSince) : -Infinity);
  const listing = await visibility.findOrphanedRuns({
    taskQueue,
    since: new Date(since).toISOString(),
    until: new Date(startedAt).toISOString(),
  });
  // Settled by the previous sweep, and listed again only because the window reaches back for lag.
  const settledBefore = new Set(previous?.settled ?? []);
  const candidates = listing.candidates.filter((c) => !settledBefore.has(c.workflowRunId));

  const report: ReaperReport = {
    taskQueue,
    dryRun,
    window: { since: new Date(since).toISOString(), until: listing.listedUntil },
    found: candidates.length,
    cancelled: [],
    wouldCancel: [],
    alreadyEnded: [],
    failed: [],
    skipped: [],
    deferred: 0,
  };
  const record = (entry: ReapedRun) => report[reportListOf(entry.action)].push(entry);

  const toReap: OrphanCandidate[] = [];
  let firstDeferred: OrphanCandidate | undefined;
  for (const candidate of candidates) {
    const skip = skipReason(candidate);
    if (skip !== undefined) {
      record({ ...withoutMark(candidate), action: 'skipped', reason: skip });
    } else if (toReap.length < maxRuns) {
      toReap.push(candidate);
    } else {
      firstDeferred ??= candidate;
      report.deferred++;
    }
  }

  for (let i = 0; i < toReap.length; i += CONCURRENCY) {
    const batch = toReap.slice(i, i + CONCURRENCY);
    const settled = await Promise.all(
      batch.map((candidate) =>
        workspace.reapOrphanedRun({ candidate, dryRun }).catch((err: unknown) => {
          if (isCancellation(err)) throw err;
          const reason = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
          return { ...withoutMark(candidate), action: 'failed', reason } satisfies ReapedRun;
        }),
      ),
    );
    settled.forEach(record);
  }

  if (!dryRun) {
    const cursor = nextCursor(report, listing, firstDeferred, since, startedAt, settledBefore);
    report.nextSince = cursor.nextSince;
    upsertMemo({ [REAPER_CURSOR_MEMO]: cursor });
  }
  setCurrentDetails(describe(report));
  log.info('orphan reaper sweep done', {
    found: report.found,
    cancelled: report.cancelled.length,
    wouldCancel: report.wouldCancel.length,
    alreadyEnded: report.alreadyEnded.length,
    failed: report.failed.length,
    skipped: report.skipped.length,
    deferred: report.deferred,
  });
  return report;
}

function lookBack(value: ReaperInput['lookBack']): number {
  if (value === undefined) return REAPER_DEFAULTS.lookBackMs;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw ApplicationFailure.nonRetryable(
      `lookBack: expected a duration such as "7d" (got ${JSON.stringify(value)})`,
      'InvalidReaperInput',
    );
  }
  return ms;
}

function skipReason(candidate: OrphanCandidate): string | undefined {
  if (candidate.detached) return 'detached: started with onCancel "detach", so its run may outlive it';
  if (candidate.databricksRunId === undefined)
    return 'the workflow closed before Databricks returned a run id: there is no run to look up';
  return undefined;
}

function withoutMark(candidate: OrphanCandidate): Omit<OrphanCandidate, 'detached'> {
  const { detached: _detached, ...rest } = candidate;
  return rest;
}

/**
 * Where the next sweep starts (inclusive): nothing before it is left unsettled. Runs cancelled but
 * not yet confirmed ended, and failures, are looked at again; so is the last stretch before this
 * sweep's start, which visibility may not have listed yet — minus the runs already settled there.
 */
function nextCursor(
  report: ReaperReport,
  listing: { candidates: OrphanCandidate[]; listedUntil: string; complete: boolean },
  firstDeferred: OrphanCandidate | undefined,
  since: number,
  startedAt: number,
  settledBefore: ReadonlySet<string>,
): ReaperCursor {
  const entries = [...report.cancelled, ...report.alreadyEnded, ...report.failed, ...report.skipped];
  let next = since;
  if (listing.complete) {
    const bounds = [Date.parse(listing.listedUntil), startedAt - REAPER_DEFAULTS.visibilityLagMs];
    if (firstDeferred) bounds.push(Date.parse(firstDeferred.closeTime));
    for (const entry of entries) if (!isSettled(entry.action)) bounds.push(Date.parse(entry.closeTime));
    next = Math.min(...bounds);
  }
  const settledNow = new Set(entries.filter((e) => isSettled(e.action)).map((e) => e.workflowRunId));
  const settled = listing.candidates
    .filter((c) => Date.parse(c.closeTime) >= next)
    .filter((c) => settledBefore.has(c.workflowRunId) || settledNow.has(c.workflowRunId))
    .map((c) => c.workflowRunId)
    .slice(-MAX_SETTLED_CARRIED);
  return { nextSince: new Date(next).toISOString(), settled };
}

function describe(report: ReaperReport): string {
  const line = (entry: ReapedRun) =>
    `- ${entry.databricksRunId ?? '—'} · ${entry.workflowId} (${entry.workflowStatus}, was ${entry.recordedState || '—'})` +
    `${entry.runState ? ` → ${entry.runState}` : ''}${entry.reason ? ` — ${entry.reason}` : ''}`;
  const section = (title: string, entries: ReapedRun[]) =>
    entries.length ? [`**${title}**`, ...entries.slice(0, 20).map(line)] : [];
  return [
    `**Orphan reaper**${report.dryRun ? ' (dry run)' : ''} · task queue ${report.taskQueue}`,
    `closed ${report.window.since} → ${report.window.until} · found ${report.found}` +
      (report.deferred ? ` · ${report.deferred} left for the next sweep` : ''),
    ...section('Cancelled', report.cancelled),
    ...section('Would cancel', report.wouldCancel),
    ...section('Failed', report.failed),
    ...section('Skipped', report.skipped),
    report.alreadyEnded.length ? `**Already ended** ${report.alreadyEnded.length}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

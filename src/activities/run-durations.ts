/**
 * How long earlier runs of the same job took, for predictive polling (poll-schedule.ts), from the
 * workspace itself: runs/list of the job (a saved job's runs carry its job_id; run_type JOB_RUN), or —
 * for a one-time run (run_type SUBMIT_RUN, whose job_id is an ephemeral one of its own) — the completed
 * one-time runs with the same run_name. Only successful runs count: an end by failure says little about
 * when a healthy run ends. Duration = end_time − start_time, as the poll measures elapsed time.
 *
 * runs/list as databricks-sdk-go service/jobs ListRunsRequest documents it: `job_id` ("if omitted, the
 * Jobs service lists runs from all jobs"), `run_type` (RunType: JOB_RUN "a run created with
 * jobs/runNow", SUBMIT_RUN "a run created with jobs/submit"), `completed_only`, `page_token`, newest
 * first ("offset … relative to the most recent run"). `limit` is left at its default (20): the SDK says
 * it "must be greater than 0 and less than 25".
 *
 * A one-time run whose workflow passes its definition fingerprint learns first from Lakeloop's own
 * closed workflows of that definition (definition-history.ts), whatever their run names; only when
 * those hold no duration does it fall back to one-time runs of the same name.
 *
 * Cached per job (or definition, or run name) in the worker for a while, so a hundred concurrent runs of one job cost
 * one runs/list, not one per look. A lookup that fails is remembered as "no history" for the same
 * while (and reported once through `onError`): a workspace that refuses runs/list costs one call per
 * job per TTL, and the poll backs off as usual, rather than a second request on every look.
 */
import type { JobsClient } from '../databricks/jobs.js';
import type { Run } from '../databricks/jobs-schemas.js';
import type { DefinitionHistory } from './definition-history.js';

export interface RunDurationOptions {
  /** How long an answer is reused. */
  ttlMs: number;
  /** Jobs (or run names) remembered at most; the oldest is forgotten first. */
  maxEntries: number;
  /** runs/list pages read at most per lookup (20 runs a page, Databricks' default). */
  maxPages: number;
  /** Earlier durations kept, newest first. */
  maxSamples: number;
}

export const DEFAULT_RUN_DURATION_OPTIONS: RunDurationOptions = {
  ttlMs: 10 * 60_000,
  maxEntries: 1_000,
  maxPages: 4,
  maxSamples: 20,
};

/** What identifies "the same job" for a run, or undefined when nothing does. */
export function durationKey(
  run: Pick<Run, 'job_id' | 'run_type' | 'run_name'>,
  definition?: string,
): string | undefined {
  if (run.run_type === 'SUBMIT_RUN') {
    if (definition) return `definition:${definition}${run.run_name ? `|submit:${run.run_name}` : ''}`;
    return run.run_name ? `submit:${run.run_name}` : undefined;
  }
  return run.job_id !== undefined ? `job:${run.job_id}` : undefined;
}

function succeeded(run: Run): boolean {
  return (
    run.state?.result_state === 'SUCCESS' ||
    (run.state?.result_state === undefined && run.status?.termination_details?.code === 'SUCCESS')
  );
}

export class RunDurations {
  private readonly cache = new Map<string, { at: number; durations: Promise<number[]> }>();

  constructor(
    private readonly jobs: JobsClient,
    private readonly onError: (error: unknown, key: string) => void = () => undefined,
    private readonly options: RunDurationOptions = DEFAULT_RUN_DURATION_OPTIONS,
    private readonly now: () => number = Date.now,
    /** Lakeloop's own closed workflows by definition (absent: a worker without a Temporal client). */
    private readonly history?: DefinitionHistory,
  ) {}

  /**
   * Durations (ms) of earlier successful runs of the job `run` belongs to, newest first; for a
   * one-time run with a `definition` fingerprint, of that definition first.
   */
  async of(run: Pick<Run, 'job_id' | 'run_type' | 'run_name'>, definition?: string): Promise<number[]> {
    const key = durationKey(run, definition);
    if (!key) return [];
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.at < this.options.ttlMs) return cached.durations;
    const durations = this.readFirst(run, definition).catch((error: unknown) => {
      this.onError(error, key);
      return [];
    });
    this.cache.delete(key);
    this.cache.set(key, { at: this.now(), durations });
    while (this.cache.size > this.options.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    return durations;
  }

  private async readFirst(
    run: Pick<Run, 'job_id' | 'run_type' | 'run_name'>,
    definition: string | undefined,
  ): Promise<number[]> {
    if (run.run_type === 'SUBMIT_RUN' && definition && this.history) {
      const own = await this.history(definition, this.options.maxSamples);
      if (own.length > 0) return own;
    }
    if (run.run_type === 'SUBMIT_RUN' && !run.run_name) return [];
    return this.read(run);
  }

  private async read(run: Pick<Run, 'job_id' | 'run_type' | 'run_name'>): Promise<number[]> {
    const oneTime = run.run_type === 'SUBMIT_RUN';
    const durations: number[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < this.options.maxPages; page++) {
      const answer = await this.jobs.listRuns({
        ...(oneTime ? { runType: 'SUBMIT_RUN' as const } : { jobId: run.job_id! }),
        completedOnly: true,
        ...(pageToken ? { pageToken } : {}),
      });
      for (const earlier of answer.runs ?? []) {
        if (oneTime && earlier.run_name !== run.run_name) continue;
        if (!succeeded(earlier) || earlier.start_time === undefined || earlier.end_time === undefined)
          continue;
        const duration = earlier.end_time - earlier.start_time;
        if (duration > 0) durations.push(duration);
      }
      pageToken = answer.has_more !== false ? answer.next_page_token : undefined;
      // A saved job's page is all its own runs: one page is enough unless it held too few successes.
      if (!pageToken || durations.length >= this.options.maxSamples) break;
    }
    return durations.slice(0, this.options.maxSamples);
  }
}

/**
 * RunDurations' cache: one runs/list per job per TTL for any number of looks, failures included (a
 * workspace that refuses runs/list must not cost a request on every look), and one-time runs matched
 * by run_name among the SUBMIT_RUN runs. The JobsClient is a stand-in that counts calls: this is the
 * cache's own logic; the poll against the emulator is test/workflows/predictive-polling.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import { RunDurations } from '../../src/activities/run-durations.js';
import type { JobsClient } from '../../src/databricks/jobs.js';

function jobsAnswering(answer: () => Promise<{ runs?: unknown[]; has_more?: boolean }>) {
  const calls: unknown[] = [];
  const jobs = {
    listRuns: (query: unknown) => {
      calls.push(query);
      return answer();
    },
  } as unknown as JobsClient;
  return { jobs, calls };
}

const run = (name: string, start: number, end: number, result = 'SUCCESS') => ({
  run_name: name,
  run_type: 'SUBMIT_RUN',
  start_time: start,
  end_time: end,
  state: { result_state: result },
});

describe('RunDurations', () => {
  test('a refused runs/list is reported once and remembered as no history until the TTL', async () => {
    let now = 0;
    const { jobs, calls } = jobsAnswering(() => Promise.reject(new Error('PERMISSION_DENIED')));
    const errors: string[] = [];
    const durations = new RunDurations(
      jobs,
      (error, key) => errors.push(`${key}: ${(error as Error).message}`),
      { ttlMs: 60_000, maxEntries: 10, maxPages: 4, maxSamples: 20 },
      () => now,
    );
    for (let look = 0; look < 5; look++)
      expect(await durations.of({ job_id: '7', run_type: 'JOB_RUN' })).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(errors).toEqual(['job:7: PERMISSION_DENIED']);
    now = 60_001;
    await durations.of({ job_id: '7', run_type: 'JOB_RUN' });
    expect(calls).toHaveLength(2);
  });

  test('one-time runs: only successful SUBMIT_RUN runs of the same name count', async () => {
    const { jobs, calls } = jobsAnswering(() =>
      Promise.resolve({
        runs: [
          run('nightly', 1_000, 61_000),
          run('other', 0, 5_000),
          run('nightly', 2_000, 3_000, 'FAILED'),
          run('nightly', 10_000, 70_000),
        ],
        has_more: false,
      }),
    );
    const durations = new RunDurations(jobs);
    expect(await durations.of({ job_id: undefined, run_name: 'nightly', run_type: 'SUBMIT_RUN' })).toEqual([
      60_000, 60_000,
    ]);
    expect(calls).toEqual([{ runType: 'SUBMIT_RUN', completedOnly: true }]);
    // A one-time run without a name has nothing to match.
    expect(await durations.of({ job_id: undefined, run_type: 'SUBMIT_RUN' })).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  test('one-time runs with a definition learn from its earlier workflows first, then from the name', async () => {
    const { jobs, calls } = jobsAnswering(() =>
      Promise.resolve({ runs: [run('nightly-2026-12-01', 0, 30_000)], has_more: false }),
    );
    const asked: Array<[string, number]> = [];
    const own = new Map([['sha256:known', [42_000, 41_000]]]);
    const durations = new RunDurations(
      jobs,
      undefined,
      { ttlMs: 60_000, maxEntries: 10, maxPages: 4, maxSamples: 5 },
      () => 0,
      (definition, limit) => {
        asked.push([definition, limit]);
        return Promise.resolve(own.get(definition) ?? []);
      },
    );
    const oneTime = { job_id: undefined, run_name: 'nightly-2026-12-01', run_type: 'SUBMIT_RUN' };
    expect(await durations.of(oneTime, 'sha256:known')).toEqual([42_000, 41_000]);
    expect(calls).toEqual([]); // the workspace was not asked
    // No workflow of that definition holds a duration yet: one-time runs of the same name.
    expect(await durations.of(oneTime, 'sha256:new')).toEqual([30_000]);
    expect(calls).toHaveLength(1);
    expect(asked).toEqual([
      ['sha256:known', 5],
      ['sha256:new', 5],
    ]);
    // A saved job's runs never ask the workflow history: runs/list by job_id is exact.
    await durations.of({ job_id: '9', run_type: 'JOB_RUN' }, 'sha256:known');
    expect(asked).toHaveLength(2);
  });
});

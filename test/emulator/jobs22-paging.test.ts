/**
 * Jobs API 2.2 paging of the array properties of runs/get and jobs/get, merged the way the SDKs merge
 * them (databricks-sdk-py `mixins/jobs.py`, databricks-sdk-go `service/jobs/ext_api.go`): each page
 * carries the next 100 elements of every array, exhausted arrays come back empty, and the client
 * follows next_page_token. 2.0 and 2.1 return everything at once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { TestEmulator } from './helpers.js';
import { createJob, runNow, startTestEmulator, task, waitForTerminal } from './helpers.js';

const TASKS = 300;
const CLUSTERS = 120;
const PARAMETERS = 150;

const wideJob = (name: string): Record<string, unknown> => ({
  name,
  max_concurrent_runs: 10,
  tasks: Array.from({ length: TASKS }, (_, i) => task(`t${String(i).padStart(3, '0')}`)),
  job_clusters: Array.from({ length: CLUSTERS }, (_, i) => ({
    job_cluster_key: `c${i}`,
    new_cluster: { spark_version: '15.4.x-scala2.12', num_workers: 0 },
  })),
  parameters: Array.from({ length: PARAMETERS }, (_, i) => ({ name: `p${i}`, default: `d${i}` })),
});

/** Follow next_page_token as the SDKs do, merging every array from every page. */
async function mergedPages(
  emu: TestEmulator,
  path: string,
  arraysOf: (page: any) => Record<string, unknown[] | undefined>,
): Promise<{ pages: any[]; merged: Record<string, unknown[]> }> {
  const pages: any[] = [];
  const merged: Record<string, unknown[]> = {};
  let token: string | undefined;
  do {
    const result = await emu.api('GET', `${path}${token ? `&page_token=${encodeURIComponent(token)}` : ''}`);
    expect(result.status).toBe(200);
    pages.push(result.body);
    for (const [key, values] of Object.entries(arraysOf(result.body))) {
      merged[key] = [...(merged[key] ?? []), ...(values ?? [])];
    }
    token = result.body.next_page_token;
    expect(pages.length).toBeLessThan(10);
  } while (token !== undefined);
  return { pages, merged };
}

describe('API 2.2 paging of runs/get and jobs/get', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 30 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
  });

  test('a 300-task run pages tasks, job_clusters and job_parameters in lockstep and merges back whole', async () => {
    const jobId = await createJob(emu, wideJob('wide'));
    const runId = await runNow(emu, { job_id: jobId, job_parameters: { p7: 'overridden' } });
    await waitForTerminal(emu, runId, 60_000);

    const { pages, merged } = await mergedPages(emu, `/api/2.2/jobs/runs/get?run_id=${runId}`, (page) => ({
      tasks: page.tasks,
      job_clusters: page.job_clusters,
      job_parameters: page.job_parameters,
      repair_history: page.repair_history,
    }));
    const sizes = (key: string): number[] => pages.map((page) => page[key].length);
    expect(sizes('tasks')).toEqual([100, 100, 100]);
    expect(sizes('job_clusters')).toEqual([100, 20, 0]);
    expect(sizes('job_parameters')).toEqual([100, 50, 0]);
    expect(sizes('repair_history')).toEqual([1, 0, 0]);
    expect(pages.map((page) => page.has_more)).toEqual([true, true, undefined]);

    const keys = merged.tasks!.map((t: any) => t.task_key);
    expect(keys).toEqual(Array.from({ length: TASKS }, (_, i) => `t${String(i).padStart(3, '0')}`));
    expect(new Set(merged.tasks!.map((t: any) => t.run_id)).size).toBe(TASKS);
    expect(merged.tasks!.every((t: any) => t.state.result_state === 'SUCCESS')).toBe(true);
    expect(merged.job_clusters!.map((c: any) => c.job_cluster_key)).toEqual(
      Array.from({ length: CLUSTERS }, (_, i) => `c${i}`),
    );
    expect(merged.job_parameters).toHaveLength(PARAMETERS);
    expect(merged.job_parameters![7]).toEqual({ name: 'p7', default: 'd7', value: 'overridden' });
    expect(merged.job_parameters![8]).toEqual({ name: 'p8', default: 'd8', value: 'd8' });
    // The run's own fields are on every page; only the arrays move.
    expect(pages.every((page) => page.run_id === runId && page.state.result_state === 'SUCCESS')).toBe(true);

    // 2.1 and 2.0 do not page: one answer, everything in it.
    for (const version of ['2.0', '2.1']) {
      const whole = (await emu.api('GET', `/api/${version}/jobs/runs/get?run_id=${runId}`)).body;
      expect(whole.tasks).toHaveLength(TASKS);
      expect(whole.job_clusters).toHaveLength(CLUSTERS);
      expect(whole.job_parameters).toHaveLength(PARAMETERS);
      expect(whole.next_page_token).toBeUndefined();
      expect(whole.has_more).toBeUndefined();
    }
  }, 90_000);

  test('jobs/get pages tasks, job_clusters and parameters together; 2.1 returns the job whole', async () => {
    const jobId = await createJob(emu, wideJob('wide-job'));
    const { pages, merged } = await mergedPages(emu, `/api/2.2/jobs/get?job_id=${jobId}`, (page) => ({
      tasks: page.settings.tasks,
      job_clusters: page.settings.job_clusters,
      parameters: page.settings.parameters,
      environments: page.settings.environments,
    }));
    expect(pages.map((page) => page.settings.tasks.length)).toEqual([100, 100, 100]);
    expect(pages.map((page) => page.settings.job_clusters.length)).toEqual([100, 20, 0]);
    expect(pages.map((page) => page.settings.parameters.length)).toEqual([100, 50, 0]);
    expect(merged.tasks).toHaveLength(TASKS);
    expect(merged.job_clusters).toHaveLength(CLUSTERS);
    expect(merged.parameters!.map((p: any) => p.name)).toEqual(
      Array.from({ length: PARAMETERS }, (_, i) => `p${i}`),
    );
    expect(merged.environments).toEqual([]);
    const whole = (await emu.api('GET', `/api/2.1/jobs/get?job_id=${jobId}`)).body;
    expect(whole.settings.tasks).toHaveLength(TASKS);
    expect(whole.next_page_token).toBeUndefined();

    // A job whose only long array is job_clusters pages too.
    const clustersOnly = await createJob(emu, {
      ...wideJob('clusters'),
      tasks: [task('one')],
      parameters: [],
    });
    const first = (await emu.api('GET', `/api/2.2/jobs/get?job_id=${clustersOnly}`)).body;
    expect(first.settings.tasks).toHaveLength(1);
    expect(first.settings.job_clusters).toHaveLength(100);
    const second = (
      await emu.api('GET', `/api/2.2/jobs/get?job_id=${clustersOnly}&page_token=${first.next_page_token}`)
    ).body;
    expect(second.settings.tasks).toEqual([]);
    expect(second.settings.job_clusters).toHaveLength(20);
    expect(second.next_page_token).toBeUndefined();
  });

  test('list results with expand_tasks carry the first 100 elements and has_more, never a page token of their own', async () => {
    const jobId = await createJob(emu, wideJob('listed'));
    const runId = await runNow(emu, { job_id: jobId });
    await waitForTerminal(emu, runId, 60_000);

    const jobs = (await emu.api('GET', '/api/2.2/jobs/list?expand_tasks=true&name=listed')).body.jobs;
    expect(jobs).toHaveLength(1);
    expect(jobs[0].has_more).toBe(true);
    expect(jobs[0].settings.tasks).toHaveLength(100);
    expect(jobs[0].settings.job_clusters).toHaveLength(100);
    expect(jobs[0].settings.parameters).toHaveLength(100);

    const runs = (await emu.api('GET', `/api/2.2/jobs/runs/list?job_id=${jobId}&expand_tasks=true`)).body
      .runs;
    expect(runs).toHaveLength(1);
    expect(runs[0].has_more).toBe(true);
    expect(runs[0].tasks).toHaveLength(100);
    expect(runs[0].next_page_token).toBeUndefined();
    const runs21 = (await emu.api('GET', `/api/2.1/jobs/runs/list?job_id=${jobId}&expand_tasks=true`)).body
      .runs;
    expect(runs21[0].tasks).toHaveLength(TASKS);
    expect(runs21[0].has_more).toBeUndefined();
  }, 90_000);

  test('a small run fits one page: no token, and job_clusters/job_parameters only when the run has them', async () => {
    const jobId = await createJob(emu, { name: 'small', tasks: [task('a')] });
    const runId = await runNow(emu, { job_id: jobId });
    const run = (await emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${runId}`)).body;
    expect(run.tasks).toHaveLength(1);
    expect(run.next_page_token).toBeUndefined();
    expect(run.has_more).toBeUndefined();
    expect(run.job_clusters).toBeUndefined();
    expect(run.job_parameters).toBeUndefined();
    expect(run.repair_history).toHaveLength(1);
    const garbage = await emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${runId}&page_token=garbage`);
    expect(garbage.status).toBe(400);
    expect(garbage.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await waitForTerminal(emu, runId);
  });
});

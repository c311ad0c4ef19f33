import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { TestEmulator } from './helpers.js';
import { PAT } from './helpers.js';
import { createJob, startTestEmulator, submit, task, waitForTerminal } from './helpers.js';

describe('jobs API', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 10 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
  });

  test('create and get return the settings with Databricks’ defaults', async () => {
    const jobId = await createJob(emu, {
      name: 'etl',
      tasks: [task('a'), task('b', ['a'])],
      tags: { team: 'ml' },
    });
    const job = (await emu.api('GET', `/api/2.2/jobs/get?job_id=${jobId}`)).body;
    expect(job).toMatchObject({ job_id: jobId, creator_user_name: 'emulator-user@localhost' });
    expect(job.settings).toMatchObject({
      name: 'etl',
      max_concurrent_runs: 1,
      timeout_seconds: 0,
      format: 'MULTI_TASK',
      queue: { enabled: true },
      tags: { team: 'ml' },
      email_notifications: {},
      webhook_notifications: {},
    });
    expect(job.settings.tasks[1]).toMatchObject({ task_key: 'b', run_if: 'ALL_SUCCESS', timeout_seconds: 0 });
    // Jobs created through 2.0/2.1 do not queue unless asked to.
    const legacy = await emu.api('POST', '/api/2.1/jobs/create', { name: 'legacy', tasks: [task('a')] });
    const legacyJob = (await emu.api('GET', `/api/2.1/jobs/get?job_id=${legacy.body.job_id}`)).body;
    expect(legacyJob.settings.queue).toBeUndefined();
  });

  test('list pages with limit/page_token/has_more, newest first, and filters by exact name', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++)
      ids.push(await createJob(emu, { name: i % 2 ? 'Odd' : 'even', tasks: [task('t')] }));
    const seen: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = (await emu.api('GET', `/api/2.2/jobs/list?limit=3${token ? `&page_token=${token}` : ''}`))
        .body;
      pages++;
      seen.push(...page.jobs.map((j: any) => j.job_id));
      expect(page.has_more).toBe(page.next_page_token !== undefined);
      expect(page.jobs[0].settings.tasks).toBeUndefined();
      token = page.next_page_token;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const odd = (await emu.api('GET', '/api/2.2/jobs/list?name=odd&expand_tasks=true')).body;
    expect(odd.jobs.map((j: any) => j.job_id)).toEqual([ids[5], ids[3], ids[1]]);
    expect(odd.jobs[0].settings.tasks).toHaveLength(1);
    expect((await emu.api('GET', '/api/2.2/jobs/list?limit=101')).status).toBe(400);
    expect((await emu.api('GET', '/api/2.2/jobs/list?page_token=garbage')).status).toBe(400);
  });

  test('reset replaces settings, update merges them, delete removes the job and stops its runs', async () => {
    const jobId = await createJob(emu, { name: 'v1', tasks: [task('a'), task('b')] });
    await emu.api('POST', '/api/2.1/jobs/reset', {
      job_id: jobId,
      new_settings: { name: 'v2', tasks: [task('c')] },
    });
    let job = (await emu.api('GET', `/api/2.1/jobs/get?job_id=${jobId}`)).body;
    expect(job.settings.name).toBe('v2');
    expect(job.settings.tasks.map((t: any) => t.task_key)).toEqual(['c']);

    await emu.api('POST', '/api/2.1/jobs/update', {
      job_id: jobId,
      new_settings: { max_concurrent_runs: 5, tasks: [task('d', ['c'])] },
      fields_to_remove: ['tags'],
    });
    job = (await emu.api('GET', `/api/2.1/jobs/get?job_id=${jobId}`)).body;
    expect(job.settings).toMatchObject({ name: 'v2', max_concurrent_runs: 5 });
    expect(job.settings.tasks.map((t: any) => t.task_key)).toEqual(['c', 'd']);
    await emu.api('POST', '/api/2.1/jobs/update', { job_id: jobId, fields_to_remove: ['tasks/d'] });
    job = (await emu.api('GET', `/api/2.1/jobs/get?job_id=${jobId}`)).body;
    expect(job.settings.tasks.map((t: any) => t.task_key)).toEqual(['c']);

    await emu.control('POST', '/scenarios', { durationMs: 60_000 });
    const running = (await emu.api('POST', '/api/2.1/jobs/run-now', { job_id: jobId })).body.run_id;
    expect((await emu.api('POST', '/api/2.1/jobs/delete', { job_id: jobId })).body).toEqual({});
    expect((await emu.api('GET', `/api/2.1/jobs/get?job_id=${jobId}`)).body.message).toBe(
      `Job ${jobId} does not exist.`,
    );
    expect((await waitForTerminal(emu, running)).state.result_state).toBe('CANCELED');
  });

  test('API 2.2 pages more than 100 tasks in jobs/get and runs/get; 2.1 returns them all', async () => {
    const tasks = Array.from({ length: 150 }, (_, i) => task(`t${i}`));
    const jobId = await createJob(emu, { name: 'wide', tasks });
    const first = (await emu.api('GET', `/api/2.2/jobs/get?job_id=${jobId}`)).body;
    expect(first.settings.tasks).toHaveLength(100);
    expect(first.has_more).toBe(true);
    const second = (
      await emu.api('GET', `/api/2.2/jobs/get?job_id=${jobId}&page_token=${first.next_page_token}`)
    ).body;
    expect(second.settings.tasks).toHaveLength(50);
    expect(second.next_page_token).toBeUndefined();
    expect((await emu.api('GET', `/api/2.1/jobs/get?job_id=${jobId}`)).body.settings.tasks).toHaveLength(150);

    const runId = await submit(emu, { tasks });
    const page1 = (await emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${runId}`)).body;
    expect(page1.tasks).toHaveLength(100);
    expect(page1.repair_history).toHaveLength(1);
    const page2 = (
      await emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${runId}&page_token=${page1.next_page_token}`)
    ).body;
    expect(page2.tasks.map((t: any) => t.task_key)).toEqual(tasks.slice(100).map((t) => t.task_key));
    expect(page2.repair_history).toEqual([]);
    expect((await emu.api('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).body.tasks).toHaveLength(150);
    await waitForTerminal(emu, runId);
  });

  test("a GET may carry its parameters in a JSON body, as Airflow's async hook sends runs/get", async () => {
    const runId = await submit(emu, { run_name: 'body-params', tasks: [task('only')] });
    // fetch() refuses a GET with a body; node:http sends one, as aiohttp does.
    const getWithBody = (path: string, body: string) =>
      new Promise<{ status: number; json: Record<string, any> }>((resolve, reject) => {
        const request = http.request(
          `${emu.url}${path}`,
          {
            method: 'GET',
            headers: {
              authorization: `Bearer ${PAT}`,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString()));
            response.on('end', () => {
              try {
                resolve({ status: response.statusCode!, json: JSON.parse(text) });
              } catch {
                reject(new Error(`${response.statusCode}: ${text}`));
              }
            });
          },
        );
        request.on('error', reject);
        request.end(body);
      });
    const fromBody = await getWithBody('/api/2.1/jobs/runs/get', JSON.stringify({ run_id: runId }));
    expect(fromBody.status).toBe(200);
    expect(fromBody.json.run_id).toBe(runId);
    // The query string wins over the body.
    const both = await getWithBody(`/api/2.1/jobs/runs/get?run_id=${runId}`, JSON.stringify({ run_id: 1 }));
    expect(both.json.run_id).toBe(runId);
    const malformed = await getWithBody('/api/2.1/jobs/runs/get', '{not json');
    expect(malformed.status).toBe(400);
    expect(malformed.json.error_code).toBe('MALFORMED_REQUEST');
  });

  test('runs/list pages newest first, filters by job, and includes tasks only with expand_tasks', async () => {
    const jobId = await createJob(emu, { name: 'many', max_concurrent_runs: 50, tasks: [task('t')] });
    const ids: number[] = [];
    for (let i = 0; i < 12; i++)
      ids.push((await emu.api('POST', '/api/2.2/jobs/run-now', { job_id: jobId })).body.run_id);
    await submit(emu, { tasks: [task('t')] });
    const seen: number[] = [];
    let token: string | undefined;
    do {
      const page = (
        await emu.api(
          'GET',
          `/api/2.2/jobs/runs/list?job_id=${jobId}&limit=5${token ? `&page_token=${token}` : ''}`,
        )
      ).body;
      seen.push(...page.runs.map((r: any) => r.run_id));
      expect(page.runs[0].tasks).toBeUndefined();
      token = page.next_page_token;
    } while (token);
    expect(seen).toEqual([...ids].reverse());
    const expanded = (await emu.api('GET', '/api/2.2/jobs/runs/list?expand_tasks=true&limit=0')).body;
    expect(expanded.runs).toHaveLength(13);
    expect(expanded.runs[0].tasks).toHaveLength(1);
    expect((await emu.api('GET', '/api/2.2/jobs/runs/list?limit=26')).status).toBe(400);
    const submits = (await emu.api('GET', '/api/2.2/jobs/runs/list?run_type=SUBMIT_RUN')).body;
    expect(submits.runs).toHaveLength(1);
  });
});

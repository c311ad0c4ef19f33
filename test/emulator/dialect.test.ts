/**
 * `--dialect`: each flag on its own and all together, through real HTTP. Responses are read as raw text
 * and parsed with lossless-json, because the point of `int64-ids` is that JSON.parse would round them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseCommandLine, USAGE } from '../../emulator/cli-options.js';
import { parseDialect } from '../../emulator/options.js';
import type { TestEmulator } from './helpers.js';
import { PAT, startTestEmulator, task, waitFor } from './helpers.js';

const OFFSET = 1n << 62n;
const TERMINAL = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);
const echoTask = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo_task.py');

interface Answer {
  status: number;
  /** The body exactly as sent. */
  text: string;
  /** Parsed without losing integers: those beyond 2^53 are bigints. */
  body: any;
}

function parseExact(text: string): any {
  return parseLossless(text, null, (digits) => {
    if (!/^-?\d+$/.test(digits)) return Number(digits);
    const value = BigInt(digits);
    return value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)
      ? value
      : Number(value);
  });
}

/**
 * A request with the test PAT; a body that is not a string is written with exact bigints. node:http,
 * not fetch, because a GET may carry its parameters in a JSON body (as Airflow's hook sends them).
 */
function call(emu: TestEmulator, method: string, url: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : stringifyLossless(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${emu.url}${url}`,
      {
        method,
        headers: {
          authorization: `Bearer ${PAT}`,
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, text, body: text ? parseExact(text) : undefined });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function ok(emu: TestEmulator, method: string, url: string, body?: unknown): Promise<any> {
  const answer = await call(emu, method, url, body);
  if (answer.status !== 200) throw new Error(`${method} ${url}: ${answer.status} ${answer.text}`);
  return answer.body;
}

const getRun = (emu: TestEmulator, runId: bigint | number): Promise<any> =>
  ok(emu, 'GET', `/api/2.2/jobs/runs/get?run_id=${runId}`);

const waitForTerminal = (emu: TestEmulator, runId: bigint | number): Promise<any> =>
  waitFor(
    () => getRun(emu, runId),
    (run) => TERMINAL.has(run.state.life_cycle_state),
    { what: `run ${runId} to finish` },
  );

const waitForRunning = (emu: TestEmulator, runId: bigint | number): Promise<any> =>
  waitFor(
    () => getRun(emu, runId),
    (run) => run.tasks.every((t: any) => t.state.life_cycle_state === 'RUNNING'),
    { what: `run ${runId} to run` },
  );

/** Every value a client reads as a Jobs id, wherever it is in a response. */
function idsIn(value: unknown, key?: string): unknown[] {
  if (Array.isArray(value)) {
    if (key === 'task_run_ids') return value;
    return value.flatMap((item) =>
      key === 'repair_history' && item && typeof item === 'object' && 'id' in item && item.id !== null
        ? [item.id, ...idsIn(item)]
        : idsIn(item),
    );
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([name, item]) =>
      /^(job_id|run_id|job_run_id|parent_run_id|original_attempt_run_id|number_in_job|repair_id)$/.test(name)
        ? [item]
        : idsIn(item, name),
    );
  }
  return [];
}

function expectBig(id: unknown): asserts id is bigint {
  expect(typeof id).toBe('bigint');
  expect(id as bigint).toBeGreaterThan(OFFSET);
}

/** A loopback receiver that keeps the raw text of every webhook delivery. */
class Receiver {
  readonly received: { text: string; body: any }[] = [];
  url = '';
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        this.received.push({ text, body: parseExact(text) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('int64-ids', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ dialect: ['int64-ids'], defaultTaskDurationMs: 40 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
  });

  test('every id a client sees is above 2^62 and exact in the raw text', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'train' }, output: { accuracy: 0.9 } });
    const created = await call(emu, 'POST', '/api/2.2/jobs/create', {
      name: 'int64',
      tasks: [task('prepare'), task('train', ['prepare'])],
    });
    const jobId = created.body.job_id;
    expectBig(jobId);
    expect(created.text).toBe(`{"job_id":${jobId}}`);

    const started = await call(emu, 'POST', '/api/2.2/jobs/run-now', { job_id: jobId });
    const runId = started.body.run_id;
    expectBig(runId);
    expect(started.text).toBe(`{"run_id":${runId},"number_in_job":${runId}}`);

    const run = await waitForTerminal(emu, runId);
    expect(run.state.result_state).toBe('SUCCESS');
    expect(run.job_id).toBe(jobId);
    expect(run.run_id).toBe(runId);
    for (const id of idsIn(run)) expectBig(id);
    const train = run.tasks.find((t: any) => t.task_key === 'train');
    expect(train.run_page_url).toBe(
      `${emu.url}/?o=${emu.handle.workspaceId}#job/${jobId}/run/${train.run_id}`,
    );
    expect(run.run_page_url).toBe(`${emu.url}/?o=${emu.handle.workspaceId}#job/${jobId}/run/${runId}`);
    expect(run.repair_history[0].task_run_ids).toEqual(run.tasks.map((t: any) => t.run_id));

    const output = await ok(emu, 'GET', `/api/2.1/jobs/runs/get-output?run_id=${train.run_id}`);
    expect(JSON.parse(output.notebook_output.result)).toEqual({ accuracy: 0.9 });
    expect(output.metadata.run_id).toBe(train.run_id);
    expect(output.metadata.job_run_id).toBe(runId);
    expect(output.metadata.job_id).toBe(jobId);
    for (const id of idsIn(output)) expectBig(id);

    // A task run id in runs/get answers that task run.
    expect((await getRun(emu, train.run_id)).run_id).toBe(train.run_id);

    const job = await ok(emu, 'GET', `/api/2.1/jobs/get?job_id=${jobId}`);
    expect(job.job_id).toBe(jobId);
    const jobs = await ok(emu, 'GET', '/api/2.2/jobs/list');
    expect(jobs.jobs.map((j: any) => j.job_id)).toEqual([jobId]);
    const runs = await ok(emu, 'GET', `/api/2.2/jobs/runs/list?job_id=${jobId}&expand_tasks=true`);
    expect(runs.runs.map((r: any) => r.run_id)).toEqual([runId]);
    for (const id of idsIn(runs)) expectBig(id);
  });

  test('a run is fetched, cancelled, repaired, listed and deleted by its exact id', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'long' }, durationMs: 600_000 });
    const submitted = await call(emu, 'POST', '/api/2.1/jobs/runs/submit', {
      run_name: 'exact',
      tasks: [task('long')],
    });
    const runId = submitted.body.run_id;
    expectBig(runId);
    await waitForRunning(emu, runId);

    // GET parameters in a JSON body (Airflow's hook) and an int64 sent as a decimal string both work.
    const viaBody = await call(emu, 'GET', '/api/2.1/jobs/runs/get', `{"run_id":${runId}}`);
    expect(viaBody.body.run_id).toBe(runId);
    const viaString = await call(emu, 'GET', '/api/2.1/jobs/runs/get', `{"run_id":"${runId}"}`);
    expect(viaString.body.run_id).toBe(runId);

    expect((await call(emu, 'POST', '/api/2.1/jobs/runs/cancel', `{"run_id":${runId}}`)).status).toBe(200);
    const cancelled = await waitForTerminal(emu, runId);
    expect(cancelled.state.result_state).toBe('CANCELED');

    // A canceled task is re-run by rerun_all_failed_tasks; the scenario keeps it long, so cancel again.
    const repaired = await call(emu, 'POST', '/api/2.2/jobs/runs/repair', {
      run_id: runId,
      rerun_all_failed_tasks: true,
    });
    expect(repaired.status).toBe(200);
    const repairId = repaired.body.repair_id;
    expectBig(repairId);
    expect(repaired.text).toBe(`{"repair_id":${repairId}}`);
    const during = await waitForRunning(emu, runId);
    expect(during.repair_history.map((h: any) => h.id ?? null)).toEqual([null, repairId]);
    expect(during.repair_history[1].task_run_ids).toEqual([during.tasks[0].run_id]);
    expect(during.tasks[0].run_id).not.toBe(cancelled.tasks[0].run_id);
    await ok(emu, 'POST', '/api/2.1/jobs/runs/cancel', { run_id: runId });
    await waitForTerminal(emu, runId);

    // latest_repair_id is compared exactly: the right id repairs again, a neighbour is refused.
    const stale = await call(emu, 'POST', '/api/2.2/jobs/runs/repair', {
      run_id: runId,
      rerun_all_failed_tasks: true,
      latest_repair_id: repairId - 1n,
    });
    expect(stale.status).toBe(400);
    expect(stale.body.message).toBe(
      `latest_repair_id ${repairId - 1n} is not the latest repair of run ${runId} (the latest repair is ${repairId}).`,
    );
    const again = await call(emu, 'POST', '/api/2.2/jobs/runs/repair', {
      run_id: runId,
      rerun_all_failed_tasks: true,
      latest_repair_id: repairId,
    });
    expect(again.status).toBe(200);
    expect(again.body.repair_id).toBeGreaterThan(repairId);
    await waitForRunning(emu, runId);
    await ok(emu, 'POST', '/api/2.1/jobs/runs/cancel', { run_id: runId });
    const final = await waitForTerminal(emu, runId);

    const listed = await ok(emu, 'GET', `/api/2.2/jobs/runs/list?job_id=${final.job_id}`);
    expect(listed.runs.map((r: any) => r.run_id)).toEqual([runId]);

    expect((await call(emu, 'POST', '/api/2.1/jobs/runs/delete', { run_id: runId })).status).toBe(200);
    const gone = await call(emu, 'GET', `/api/2.2/jobs/runs/get?run_id=${runId}`);
    expect(gone.status).toBe(400);
    expect(gone.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: `Run ${runId} does not exist.`,
    });
  });

  test('ids below 2^62, beyond int64 or rounded by a float parser are unknown runs and jobs', async () => {
    const submitted = (await ok(emu, 'POST', '/api/2.1/jobs/runs/submit', { tasks: [task('t')] })).run_id;
    const run = await waitForTerminal(emu, submitted);
    // Doubles near 2^62 are 1024 apart, so an odd id never survives JSON.parse; the run and its task
    // run have consecutive ids, and runs/get answers both.
    const runId: bigint = [run.run_id, run.tasks[0].run_id].find((id: bigint) => id % 2n === 1n);
    expectBig(runId);
    const rounded = JSON.stringify(JSON.parse(`{"id":${runId}}`).id); // what a JSON.parse client sends back
    expect(BigInt(rounded)).not.toBe(runId);
    expect((await getRun(emu, runId)).run_id).toBe(runId);

    const unknownRuns = ['123', rounded, String(OFFSET), `${1n << 63n}`, '-5'];
    for (const id of unknownRuns) {
      const answer = await call(emu, 'GET', `/api/2.2/jobs/runs/get?run_id=${id}`);
      expect([answer.status, answer.body.error_code, answer.body.message]).toEqual([
        400,
        'INVALID_PARAMETER_VALUE',
        `Run ${id} does not exist.`,
      ]);
      const cancel = await call(emu, 'POST', '/api/2.1/jobs/runs/cancel', `{"run_id":${id}}`);
      expect(cancel.body.message).toBe(`Run ${id} does not exist.`);
    }
    // The internal id, as a client could only guess it, is no run either.
    const internal = (runId as bigint) - OFFSET;
    expect((await call(emu, 'GET', `/api/2.2/jobs/runs/get?run_id=${internal}`)).body.message).toBe(
      `Run ${internal} does not exist.`,
    );
    const job = await call(emu, 'POST', '/api/2.2/jobs/run-now', '{"job_id":4611686018427387903}');
    expect([job.status, job.body.message]).toEqual([400, 'Job 4611686018427387903 does not exist.']);
    const cancelAll = await call(emu, 'POST', '/api/2.2/jobs/runs/cancel-all', { job_id: 7 });
    expect(cancelAll.body.message).toBe('Job 7 does not exist.');
    // An unknown job lists no runs, as in the default dialect.
    expect((await ok(emu, 'GET', '/api/2.2/jobs/runs/list?job_id=7')).runs ?? []).toEqual([]);

    // Not an integer at all: the field's type error, as Databricks answers a malformed id.
    const malformed = await call(emu, 'POST', '/api/2.1/jobs/runs/cancel', { run_id: 'not-a-number' });
    expect([malformed.status, malformed.body.error_code]).toEqual([400, 'MALFORMED_REQUEST']);
    expect(malformed.body.message).toContain('run_id');
  });

  test('the control API finds a run by the id the client got', async () => {
    const runId = (await ok(emu, 'POST', '/api/2.1/jobs/runs/submit', { tasks: [task('t')] })).run_id;
    const run = await waitForTerminal(emu, runId);
    const control = await call(emu, 'GET', `/__emulator/runs/${runId}`);
    expect(control.status).toBe(200);
    expect(control.text).toContain(`"run_id":${runId},"job_id":${run.job_id},`);
    expect(control.body.tasks[0].run_id).toBe(run.tasks[0].run_id);
    const missing = await call(emu, 'GET', '/__emulator/runs/123');
    expect([missing.status, missing.body.message]).toEqual([404, 'Run 123 does not exist.']);
  });

  test('a Python task gets the ids clients see, and can look its own run up with them', async () => {
    const runId = (
      await ok(emu, 'POST', '/api/2.1/jobs/runs/submit', {
        tasks: [
          {
            task_key: 'py',
            spark_python_task: {
              python_file: pathToFileURL(echoTask).href,
              parameters: ['{{job.run_id}}', '{{task.run_id}}', '{{job.id}}'],
            },
          },
        ],
      })
    ).run_id;
    const run = await waitForTerminal(emu, runId);
    expect(run.state.result_state).toBe('SUCCESS');
    const output = await ok(emu, 'GET', `/api/2.1/jobs/runs/get-output?run_id=${run.tasks[0].run_id}`);
    // echo_task.py calls runs/get with LAKELOOP_RUN_ID and reports what it saw.
    expect(JSON.parse(output.notebook_output.result)).toMatchObject({
      argv: [String(runId), String(run.tasks[0].run_id), String(run.job_id)],
      api_status: 200,
      own_state: 'RUNNING',
    });
  });
});

describe('int64-ids: webhook payloads', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
  });

  for (const format of ['string', 'number'] as const) {
    test(`run, parent run and job ids are exact (--webhook-ids ${format})`, async () => {
      const emu = await startTestEmulator({
        dialect: ['int64-ids'],
        defaultTaskDurationMs: 40,
        webhookIdFormat: format,
      });
      try {
        receiver.received.length = 0;
        const destination = await ok(emu, 'POST', '/api/2.0/notification-destinations', {
          display_name: 'receiver',
          config: { generic_webhook: { url: receiver.url } },
        });
        const hooks = { on_success: [{ id: destination.id }] };
        const jobId = (
          await ok(emu, 'POST', '/api/2.2/jobs/create', {
            name: 'hooked',
            webhook_notifications: hooks,
            tasks: [task('t', [], { webhook_notifications: hooks })],
          })
        ).job_id;
        const runId = (await ok(emu, 'POST', '/api/2.2/jobs/run-now', { job_id: jobId })).run_id;
        const run = await waitForTerminal(emu, runId);
        const taskRunId = run.tasks[0].run_id;
        await waitFor(
          async () => receiver.received.length,
          (count) => count >= 2,
          { what: 'two deliveries' },
        );
        const job = receiver.received.find((r) => r.body.task === undefined)!;
        const taskHook = receiver.received.find((r) => r.body.task !== undefined)!;
        const id = (value: bigint): string => (format === 'string' ? `"${value}"` : String(value));
        expect(job.text).toContain(`"run":{"run_id":${id(runId)}}`);
        expect(job.text).toContain(`"job":{"job_id":${id(jobId)},"name":"hooked"}`);
        expect(taskHook.text).toContain(`"run":{"run_id":${id(taskRunId)},"parent_run_id":${id(runId)}}`);
        // And the receiver can look the run up by what it was sent.
        expect((await getRun(emu, job.body.run.run_id)).run_id).toBe(runId);
      } finally {
        await emu.close();
      }
    });
  }
});

describe('strict-nulls', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ dialect: ['strict-nulls'], defaultTaskDurationMs: 40 });
  });
  afterAll(async () => {
    await emu.close();
  });

  test('a running run sends its unset fields as null; a finished one fills them', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'slow' }, durationMs: 600_000 });
    const runId = (await ok(emu, 'POST', '/api/2.1/jobs/runs/submit', { tasks: [task('slow')] })).run_id;
    const running = await waitForRunning(emu, runId);
    expect(running).toMatchObject({
      job_id: null, // a one-time run
      end_time: null,
      state: { life_cycle_state: 'RUNNING', result_state: null, state_message: null, queue_reason: null },
      status: { state: 'RUNNING', termination_details: null, queue_details: null },
      trigger_info: null,
      next_page_token: null,
      job_clusters: null,
    });
    expect(running.tasks[0]).toMatchObject({
      end_time: null,
      spark_python_task: null,
      existing_cluster_id: null,
      state: { result_state: null },
      status: { termination_details: null },
    });
    expect(running.repair_history[0]).toMatchObject({ id: null, end_time: null });
    // The raw text says null; it does not leave the fields out.
    const raw = (await call(emu, 'GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).text;
    expect(raw).toContain('"end_time":null');
    expect(raw).toContain('"result_state":null');

    await ok(emu, 'POST', '/api/2.1/jobs/runs/cancel', { run_id: runId });
    const done = await waitForTerminal(emu, runId);
    expect(done.end_time).toBeGreaterThanOrEqual(done.start_time);
    expect(done.state.result_state).toBe('CANCELED');
    expect(done.status.termination_details.code).toBe('USER_CANCELED');
  });

  test('get-output, runs/list, jobs/get and jobs/list send null for what is not set', async () => {
    const jobId = (await ok(emu, 'POST', '/api/2.2/jobs/create', { name: 'nulls', tasks: [task('t')] }))
      .job_id;
    const runId = (await ok(emu, 'POST', '/api/2.2/jobs/run-now', { job_id: jobId })).run_id;
    const run = await waitForTerminal(emu, runId);
    expect(run.job_id).toBe(jobId); // a job run keeps its job id

    const output = await ok(emu, 'GET', `/api/2.1/jobs/runs/get-output?run_id=${run.tasks[0].run_id}`);
    expect(output).toMatchObject({
      error: null,
      error_trace: null,
      logs: null, // a notebook task has no logs
      notebook_output: null,
      sql_output: null,
      metadata: { run_id: run.tasks[0].run_id, end_time: run.tasks[0].end_time, trigger_info: null },
    });

    const runs = await ok(emu, 'GET', `/api/2.2/jobs/runs/list?job_id=${jobId}`);
    expect(runs).toMatchObject({ has_more: false, next_page_token: null, prev_page_token: null });
    expect(runs.runs[0]).toMatchObject({ run_id: runId, tasks: null, repair_history: null });

    const job = await ok(emu, 'GET', `/api/2.2/jobs/get?job_id=${jobId}`);
    expect(job).toMatchObject({ job_id: jobId, next_page_token: null, trigger_state: null });
    expect(job.settings).toMatchObject({ name: 'nulls', schedule: null, git_source: null, health: null });
    const jobs = await ok(emu, 'GET', '/api/2.2/jobs/list');
    expect(jobs).toMatchObject({ next_page_token: null, prev_page_token: null });
    expect(jobs.jobs.find((j: any) => j.job_id === jobId).settings).toMatchObject({ tasks: null });
  });

  test('errors and other endpoints are unchanged', async () => {
    const missing = await call(emu, 'GET', '/api/2.2/jobs/runs/get?run_id=5');
    expect(Object.keys(missing.body).sort()).toEqual(['details', 'error_code', 'message']);
    const created = await call(emu, 'POST', '/api/2.2/jobs/create', { name: 'x', tasks: [task('t')] });
    expect(Object.keys(created.body)).toEqual(['job_id']);
  });
});

describe('no-issuer', () => {
  test('OAuth discovery answers without issuer and is otherwise the same', async () => {
    const plain = await startTestEmulator();
    const dialect = await startTestEmulator({ dialect: ['no-issuer'] });
    try {
      const read = async (emu: TestEmulator): Promise<any> =>
        (await fetch(`${emu.url}/oidc/.well-known/oauth-authorization-server`)).json();
      const usual = await read(plain);
      const answered = await read(dialect);
      expect(usual.issuer).toBe(`${plain.url}/oidc`);
      expect(answered).not.toHaveProperty('issuer');
      const { issuer: _issuer, ...rest } = usual;
      expect(JSON.stringify(answered)).toBe(JSON.stringify(rest).replaceAll(plain.url, dialect.url));
    } finally {
      await plain.close();
      await dialect.close();
    }
  });
});

describe('no-repair', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ dialect: ['no-repair'], defaultTaskDurationMs: 40 });
  });
  afterAll(async () => {
    await emu.close();
  });

  test('runs/repair is an unknown endpoint in every version; the rest is served', async () => {
    const runId = (await ok(emu, 'POST', '/api/2.1/jobs/runs/submit', { tasks: [task('t')] })).run_id;
    await waitForTerminal(emu, runId);
    for (const version of ['2.0', '2.1', '2.2']) {
      for (const method of ['POST', 'GET']) {
        const answer = await call(
          emu,
          method,
          `/api/${version}/jobs/runs/repair`,
          method === 'POST' ? { run_id: runId, rerun_all_failed_tasks: true } : undefined,
        );
        expect([answer.status, answer.body.error_code, answer.body.message]).toEqual([
          404,
          'ENDPOINT_NOT_FOUND',
          `No API found for '${method} /jobs/runs/repair'`,
        ]);
      }
    }
    expect((await getRun(emu, runId)).repair_history).toHaveLength(1);
  });
});

describe('no-notifications', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ dialect: ['no-notifications'], defaultTaskDurationMs: 40 });
  });
  afterAll(async () => {
    await emu.close();
  });

  const refused = (id: string) => ({
    status: 400,
    code: 'INVALID_PARAMETER_VALUE',
    message: `Webhook with id '${id}' was not found.`,
  });
  const outcome = (answer: Answer) => ({
    status: answer.status,
    code: answer.body.error_code,
    message: answer.body.message,
  });

  test('the notification destinations API is not served', async () => {
    for (const [method, url] of [
      ['GET', '/api/2.0/notification-destinations'],
      ['POST', '/api/2.0/notification-destinations'],
      ['GET', '/api/2.0/notification-destinations/0481e838-0a59-4eff-9541-a4ca6f149574'],
      ['PATCH', '/api/2.0/notification-destinations/0481e838-0a59-4eff-9541-a4ca6f149574'],
      ['DELETE', '/api/2.0/notification-destinations/0481e838-0a59-4eff-9541-a4ca6f149574'],
    ] as const) {
      const body =
        method === 'POST'
          ? { display_name: 'x', config: { generic_webhook: { url: 'http://x' } } }
          : undefined;
      const answer = await call(emu, method, url, body);
      expect(outcome(answer)).toEqual({
        status: 404,
        code: 'ENDPOINT_NOT_FOUND',
        message: `No API found for '${method} ${url.replace('/api/2.0', '')}'`,
      });
    }
  });

  test('submit, create, reset and update naming a destination are refused; without one they work', async () => {
    const hooks = (id: string) => ({ on_failure: [{ id }] });
    expect(
      outcome(
        await call(emu, 'POST', '/api/2.1/jobs/runs/submit', {
          tasks: [task('t')],
          webhook_notifications: hooks('dest-submit'),
        }),
      ),
    ).toEqual(refused('dest-submit'));
    expect(
      outcome(
        await call(emu, 'POST', '/api/2.2/jobs/create', {
          name: 'task-level',
          tasks: [task('t', [], { webhook_notifications: { on_start: [{ id: 'dest-task' }] } })],
        }),
      ),
    ).toEqual(refused('dest-task'));

    // Empty lists name nothing, and e-mail notifications are not destinations.
    const jobId = (
      await ok(emu, 'POST', '/api/2.2/jobs/create', {
        name: 'plain',
        tasks: [task('t')],
        webhook_notifications: { on_success: [] },
        email_notifications: { on_failure: ['oncall@example.com'] },
      })
    ).job_id;
    expect(
      outcome(
        await call(emu, 'POST', '/api/2.2/jobs/reset', {
          job_id: jobId,
          new_settings: { name: 'plain', tasks: [task('t')], webhook_notifications: hooks('dest-reset') },
        }),
      ),
    ).toEqual(refused('dest-reset'));
    expect(
      outcome(
        await call(emu, 'POST', '/api/2.2/jobs/update', {
          job_id: jobId,
          new_settings: { webhook_notifications: hooks('dest-update') },
        }),
      ),
    ).toEqual(refused('dest-update'));
    // Nothing was changed by the refused requests.
    const job = await ok(emu, 'GET', `/api/2.2/jobs/get?job_id=${jobId}`);
    expect(job.settings.webhook_notifications).toEqual({ on_success: [] });
    const runId = (await ok(emu, 'POST', '/api/2.2/jobs/run-now', { job_id: jobId })).run_id;
    expect((await waitForTerminal(emu, runId)).state.result_state).toBe('SUCCESS');
  });
});

describe('--dialect all', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ dialect: parseDialect('all'), defaultTaskDurationMs: 40 });
  });
  afterAll(async () => {
    await emu.close();
  });

  test('the command line names each flag, or all of them', () => {
    const parsed = parseCommandLine(['--pat', 'x', '--dialect', 'no-notifications, int64-ids']);
    expect(parsed !== 'help' && parsed.dialect).toEqual(['no-notifications', 'int64-ids']);
    expect(() => parseCommandLine(['--pat', 'x', '--dialect', 'int64-ids,no-webhooks'])).toThrow(
      /unknown: no-webhooks/,
    );
    expect(USAGE).toContain('no-notifications');
  });

  test('every flag at once', async () => {
    expect(parseDialect('all')).toEqual([
      'strict-nulls',
      'int64-ids',
      'no-issuer',
      'no-repair',
      'no-notifications',
    ]);
    await emu.control('POST', '/scenarios', { match: { taskKey: 'bad' }, result: 'FAILED', error: 'boom' });
    const jobId = (await ok(emu, 'POST', '/api/2.2/jobs/create', { name: 'all', tasks: [task('bad')] }))
      .job_id;
    expectBig(jobId);
    const runId = (await ok(emu, 'POST', '/api/2.2/jobs/run-now', { job_id: jobId })).run_id;
    expectBig(runId);
    const run = await waitForTerminal(emu, runId);
    expect(run).toMatchObject({ job_id: jobId, run_id: runId, trigger_info: null });
    expect(run.state.result_state).toBe('FAILED');
    const output = await ok(emu, 'GET', `/api/2.1/jobs/runs/get-output?run_id=${run.tasks[0].run_id}`);
    expect(output).toMatchObject({
      error: 'boom',
      notebook_output: null,
      metadata: { run_id: run.tasks[0].run_id },
    });

    const repair = await call(emu, 'POST', '/api/2.2/jobs/runs/repair', {
      run_id: runId,
      rerun_all_failed_tasks: true,
    });
    expect([repair.status, repair.body.error_code]).toEqual([404, 'ENDPOINT_NOT_FOUND']);
    expect((await call(emu, 'GET', '/api/2.0/notification-destinations')).status).toBe(404);
    const discovery: any = await (
      await fetch(`${emu.url}/oidc/.well-known/oauth-authorization-server`)
    ).json();
    expect(discovery).not.toHaveProperty('issuer');
    expect(discovery.token_endpoint).toBe(`${emu.url}/oidc/v1/token`);
    const missing = await call(emu, 'GET', '/api/2.2/jobs/runs/get?run_id=42');
    expect(missing.body.message).toBe('Run 42 does not exist.');
  });
});

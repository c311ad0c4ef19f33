/**
 * The webhook endpoint under hostile input: wrong credentials, oversized and chunked bodies, malformed
 * and out-of-range notifications, a slow-header client, and a 10,000-request flood, against a real
 * receiver and a real Temporal server. After the flood a real databricksRun in webhook mode must still
 * complete through its notification. Timings and memory are printed as figures; only correctness and a
 * generous leak bound are asserted.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunInput } from '../../src/shared/run-input.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/webhooks/receiver.js';
import { databricksRun } from '../../src/workflows/index.js';
import type { TestEmulator } from '../emulator/helpers.js';
import { runsCreated, startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const USER = 'databricks';
const PASSWORD = `hardening-secret-${Math.random().toString(36).slice(2)}`;
const BODY_LIMIT = 64 * 1024;
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
const GOOD_AUTH = basic(`${USER}:${PASSWORD}`);

/** A run id no workflow waits on (the emulator's ids are small). */
const unknownRunId = () => 900_000_000 + Math.floor(Math.random() * 99_000_000);
const notification = (runId: unknown, eventType = 'jobs.on_success') =>
  JSON.stringify({ event_type: eventType, run: { run_id: runId }, job: { job_id: '1', name: 'x' } });

interface Answer {
  status: number | string; // an HTTP status, or "error:<code>" when no response arrived
  body: string;
  headers: http.IncomingHttpHeaders;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: 64 });

/**
 * One POST over a fresh connection. `body` is sent with a content-length; `chunks` are written one by
 * one without a length (chunked) until a response arrives or they run out.
 */
function post(
  url: string,
  options: {
    auth?: string;
    body?: string;
    chunks?: Iterable<string>;
    headers?: Record<string, string>;
  },
): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: Answer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.auth !== undefined) headers.authorization = options.auth;
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => settle({ status: res.statusCode!, body, headers: res.headers }));
      res.on('error', () => settle({ status: res.statusCode!, body, headers: res.headers }));
    });
    // After a response has arrived, a reset while still sending the rest of a refused body is fine.
    req.on('error', (err: NodeJS.ErrnoException) =>
      settle({ status: `error:${err.code ?? err.message}`, body: '', headers: {} }),
    );
    if (options.chunks) {
      const chunks = options.chunks[Symbol.iterator]();
      const writeNext = () => {
        if (settled || req.destroyed) return;
        const next = chunks.next();
        if (next.done) return void req.end();
        req.write(next.value, () => setImmediate(writeNext));
      };
      writeNext();
    } else {
      req.end(options.body ?? '');
    }
  });
}

function spec(runName: string): RunInput {
  return {
    submit: { run_name: runName, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
    // Only a notification can end the wait in time: the safety-net poll is an hour away.
    wait: { mode: 'webhook', safetyNetInterval: '1h' },
  };
}

describe('webhook receiver hardening', () => {
  let harness: WorkspaceHarness;
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let receiver: WebhookReceiver;
  let taskQueue: string;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({
      name: 'webhook-hardening',
      receiver: { username: USER, password: PASSWORD, bodyLimitBytes: BODY_LIMIT, lookupTimeoutMs: 150 },
    });
    ({ env, emulator, taskQueue } = harness);
    receiver = harness.receiver!;
  });
  afterAll(async () => {
    await harness?.close();
    agent.destroy();
  });

  const healthz = () => fetch(new URL('/healthz', receiver.url)).then((r) => r.status);

  test.each([
    ['no Authorization header', undefined],
    ['an empty header', ''],
    ['a wrong password', basic(`${USER}:wrong`)],
    ['a wrong username', basic(`someone:${PASSWORD}`)],
    [
      'the password with its last character changed',
      basic(`${USER}:${PASSWORD.slice(0, -1)}${PASSWORD.at(-1) === 'x' ? 'y' : 'x'}`),
    ],
    ['a prefix of the password', basic(`${USER}:${PASSWORD.slice(0, -1)}`)],
    ['the password followed by one more character', basic(`${USER}:${PASSWORD}x`)],
    ['no password', basic(`${USER}:`)],
    ['"Basic" and nothing else', 'Basic '],
    ['non-base64 garbage', 'Basic !!!%%%not*base64%%%!!!'],
    ['raw, unencoded credentials', `Basic ${USER}:${PASSWORD}`],
    ['the Bearer scheme with the password', `Bearer ${PASSWORD}`],
    ['the Bearer scheme with the Basic token', `Bearer ${GOOD_AUTH.slice(6)}`],
  ])('%s → 401 with a Basic challenge, and nothing is looked up', async (_what, auth) => {
    const before = receiver.stats();
    const answer = await post(receiver.url, { auth, body: notification(unknownRunId()) });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Basic realm="lakeloop"');
    const after = receiver.stats();
    expect(after.unauthorized - before.unauthorized).toBe(1);
    expect(after['unknown-run']).toBe(before['unknown-run']);
  });

  test('the right credentials are accepted (the 401s above are not a broken comparison)', async () => {
    const answer = await post(receiver.url, { auth: GOOD_AUTH, body: notification(unknownRunId()) });
    expect(answer.status).toBe(202);
  });

  test('a body over the limit → 413, by content-length without reading it', async () => {
    const answer = await post(receiver.url, { auth: GOOD_AUTH, body: 'x'.repeat(BODY_LIMIT + 1) });
    expect(answer.status).toBe(413);
    // A declared length far beyond the limit is refused from the headers alone: only a few bytes are sent.
    const declared = await new Promise<number | string>((resolve) => {
      const req = http.request(receiver.url, {
        method: 'POST',
        agent,
        headers: { authorization: GOOD_AUTH, 'content-length': String(1024 ** 3) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve(`error:${err.code}`));
      req.write('{"event_type":');
    });
    expect(declared).toBe(413);
    // Exactly at the limit is not "too large": it gets as far as JSON parsing.
    const atLimit = await post(receiver.url, { auth: GOOD_AUTH, body: ' '.repeat(BODY_LIMIT - 2) + '{}' });
    expect(atLimit.status).toBe(400);
  });

  test('a chunked body without a length that grows past the limit → 413 (not a reset connection)', async () => {
    function* endless() {
      for (let i = 0; i < 1_000; i++) yield 'x'.repeat(8 * 1024); // up to 8 MB, stopped by the answer
    }
    const before = receiver.stats()['too-large'];
    const answer = await post(receiver.url, { auth: GOOD_AUTH, chunks: endless() });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: `body larger than ${BODY_LIMIT} bytes` });
    expect(receiver.stats()['too-large'] - before).toBe(1);
    // A chunked body within the limit is read whole.
    const small = await post(receiver.url, {
      auth: GOOD_AUTH,
      chunks: [notification(unknownRunId()).slice(0, 20), notification(1).slice(20)],
    });
    expect(small.status).toBe(202);
  });

  test.each([
    ['not JSON', '{not json'],
    ['an empty body', ''],
    ['JSON null', 'null'],
    ['a JSON array', '[]'],
    ['a JSON string', '"jobs.on_success"'],
    ['no run', JSON.stringify({ event_type: 'jobs.on_success' })],
    ['run without run_id', JSON.stringify({ event_type: 'jobs.on_success', run: {} })],
    ['run as a string', JSON.stringify({ event_type: 'jobs.on_success', run: '42' })],
    ['run_id a boolean', notification(true)],
    ['run_id an object', notification({ id: 1 })],
    ['run_id an array', notification([1])],
    ['run_id a fraction', notification(1.5)],
    ['run_id negative', notification(-1)],
    ['run_id a negative string', notification('-1')],
    ['run_id a hex string', notification('0x2a')],
    ['run_id with spaces', notification(' 42')],
    ['run_id in exponent form', notification('1e5')],
    ['run_id of 20 digits', notification('1'.repeat(20))],
    ['run_id of 40 digits', notification('9'.repeat(40))],
    ['run_id of 19 digits beyond 2^53', notification('9'.repeat(19))],
    ['run_id a huge number', '{"event_type":"jobs.on_success","run":{"run_id":1e25}}'],
    // Beyond 2^53 is a valid int64 and parsed exactly; beyond 2^63 - 1 is not an id.
    ['run_id beyond int64', '{"event_type":"jobs.on_success","run":{"run_id":9223372036854775808}}'],
    [
      'parent_run_id negative',
      JSON.stringify({ event_type: 'jobs.on_success', run: { run_id: 1, parent_run_id: -5 } }),
    ],
    ['event_type missing', JSON.stringify({ run: { run_id: 1 } })],
    ['event_type not a jobs event', notification(1, 'DROP TABLE runs')],
    ['event_type a number', notification(1, 7 as unknown as string)],
  ])('%s → 400, nothing looked up', async (_what, body) => {
    const before = receiver.stats();
    const answer = await post(receiver.url, { auth: GOOD_AUTH, body });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toMatch(/^(body is not JSON|invalid notification: )/);
    const after = receiver.stats();
    expect(after.malformed - before.malformed).toBe(1);
    expect(after['unknown-run']).toBe(before['unknown-run']);
    expect(after.error).toBe(before.error);
  });

  test('an unknown run → 202 unknown-run; jobs.on_start and task-level notifications → 200 ignored', async () => {
    const runId = unknownRunId();
    const unknown = await post(receiver.url, { auth: GOOD_AUTH, body: notification(String(runId)) });
    expect(unknown.status).toBe(202);
    // Run ids are answered as the exact decimal strings they are held as.
    expect(JSON.parse(unknown.body)).toEqual({ status: 'unknown-run', runId: String(runId) });
    // The largest int64, as a string and as a JSON number, is looked up exactly (and is unknown).
    const largest = await post(receiver.url, { auth: GOOD_AUTH, body: notification('9223372036854775807') });
    expect(largest.status).toBe(202);
    expect(JSON.parse(largest.body).runId).toBe('9223372036854775807');
    const asNumber = await post(receiver.url, {
      auth: GOOD_AUTH,
      body: '{"event_type":"jobs.on_success","run":{"run_id":9223372036854775807}}',
    });
    expect(JSON.parse(asNumber.body).runId).toBe('9223372036854775807');

    const before = receiver.stats();
    const started = await post(receiver.url, { auth: GOOD_AUTH, body: notification(runId, 'jobs.on_start') });
    expect(started.status).toBe(200);
    expect(JSON.parse(started.body)).toEqual({ status: 'ignored', runId: String(runId) });
    const task = await post(receiver.url, {
      auth: GOOD_AUTH,
      body: JSON.stringify({
        event_type: 'jobs.on_success',
        run: { run_id: 5, parent_run_id: runId },
        task: { task_key: 't' },
      }),
    });
    expect(task.status).toBe(200);
    expect(JSON.parse(task.body)).toEqual({ status: 'ignored', runId: String(runId) });
    const after = receiver.stats();
    expect(after.ignored - before.ignored).toBe(2);
    expect(after['unknown-run']).toBe(before['unknown-run']);
  });

  test('workflow lookups are bounded: 100 concurrent unknown-run deliveries never run more than maxConcurrentLookups visibility queries at once', async () => {
    let inFlight = 0;
    let peak = 0;
    let queries = 0;
    // The real client, with its visibility queries counted while they run.
    const counting = {
      workflow: {
        list: (options: Parameters<typeof env.client.workflow.list>[0]) =>
          (async function* () {
            inFlight++;
            queries++;
            peak = Math.max(peak, inFlight);
            try {
              yield* env.client.workflow.list(options);
            } finally {
              inFlight--;
            }
          })(),
      },
    } as unknown as typeof env.client;
    const bounded = await startWebhookReceiver({
      client: counting,
      host: '127.0.0.1',
      port: 0,
      username: USER,
      password: PASSWORD,
      lookupTimeoutMs: 150,
      maxConcurrentLookups: 4,
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 100 }, () =>
          post(bounded.url, { auth: GOOD_AUTH, body: notification(unknownRunId()) }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(100).fill(202));
      expect(queries).toBeGreaterThanOrEqual(100);
      expect(peak).toBeLessThanOrEqual(4);
      console.log(`bounded lookups: ${queries} visibility queries, at most ${peak} at once`);
    } finally {
      await bounded.close();
    }
  });

  test('other paths and methods → 404 / 405', async () => {
    expect(
      (await post(new URL('/elsewhere', receiver.url).href, { auth: GOOD_AUTH, body: '{}' })).status,
    ).toBe(404);
    expect((await fetch(receiver.url, { headers: { authorization: GOOD_AUTH } })).status).toBe(405);
  });

  test('a client trickling its headers is cut off (408) by the headers timeout', async () => {
    const { port } = new URL(receiver.url);
    const started = Date.now();
    const outcome = await new Promise<{ answer: string; linesSent: number }>((resolve) => {
      let answer = '';
      let linesSent = 0;
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /databricks/notifications HTTP/1.1\r\nHost: x\r\nAuthorization: ${GOOD_AUTH}\r\n`);
      });
      // One header line every 250 ms for up to 25 s: longer than Node's default 30 s connection
      // check would ever let the 5 s headers timeout fire before this change.
      const trickle = setInterval(() => {
        if (linesSent++ >= 100) {
          clearInterval(trickle);
          socket.destroy();
          return;
        }
        socket.write(`X-Slow-${linesSent}: ${'a'.repeat(10)}\r\n`);
      }, 250);
      socket.on('data', (data) => (answer += data.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(trickle);
        resolve({ answer, linesSent });
      });
    });
    console.log(
      `slow-header client cut off after ${Date.now() - started} ms, ${outcome.linesSent} header lines sent`,
    );
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.linesSent).toBeLessThan(100);
    expect(await healthz()).toBe(200);
  });

  test('a 10,000-request flood leaves the receiver serving, bounded in memory, and a real run still completes by its notification', async () => {
    type Kind = 'unknown-run' | 'unauthorized' | 'malformed' | 'too-large';
    const expected: Record<Kind, number> = {
      'unknown-run': 202,
      unauthorized: 401,
      malformed: 400,
      'too-large': 413,
    };
    const oversized = 'x'.repeat(BODY_LIMIT + 1024);
    const malformedBodies = [
      '{not json',
      notification(-1),
      notification('1'.repeat(25)),
      notification(true),
      JSON.stringify({ event_type: 'jobs.on_success' }),
    ];
    const request = (i: number): [Kind, Promise<Answer>] => {
      switch (i % 4) {
        case 0:
          return [
            'unknown-run',
            post(receiver.url, { auth: GOOD_AUTH, body: notification(String(unknownRunId())) }),
          ];
        case 1:
          return ['unauthorized', post(receiver.url, { auth: basic(`${USER}:${i}`), body: notification(1) })];
        case 2:
          return [
            'malformed',
            post(receiver.url, { auth: GOOD_AUTH, body: malformedBodies[i % malformedBodies.length] }),
          ];
        default:
          return ['too-large', post(receiver.url, { auth: GOOD_AUTH, body: oversized })];
      }
    };

    const TOTAL = 10_000;
    const IN_FLIGHT = 50;
    const statsBefore = receiver.stats();
    const statuses = new Map<string, number>();
    const unexpected: string[] = [];
    const sent: Record<Kind, number> = { 'unknown-run': 0, unauthorized: 0, malformed: 0, 'too-large': 0 };
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 25);
    const started = Date.now();
    let next = 0;
    async function lane(): Promise<void> {
      while (next < TOTAL) {
        const i = next++;
        const [kind, answer] = request(i);
        sent[kind]++;
        const { status } = await answer;
        statuses.set(`${kind} ${status}`, (statuses.get(`${kind} ${status}`) ?? 0) + 1);
        if (status !== expected[kind] && unexpected.length < 20) unexpected.push(`#${i} ${kind} → ${status}`);
      }
    }
    try {
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const rssAfter = process.memoryUsage().rss;
    rssPeak = Math.max(rssPeak, rssAfter);
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(
      [
        `flood: ${TOTAL} requests, ${IN_FLIGHT} in flight, ${seconds.toFixed(1)} s, ${(TOTAL / seconds).toFixed(0)} req/s`,
        `statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
        `RSS before ${mb(rssBefore)} MB, peak ${mb(rssPeak)} MB, after ${mb(rssAfter)} MB (delta ${mb(rssAfter - rssBefore)} MB, peak delta ${mb(rssPeak - rssBefore)} MB)`,
      ].join('\n'),
    );

    expect(unexpected).toEqual([]);
    const statsAfter = receiver.stats();
    for (const kind of Object.keys(expected) as Kind[]) {
      expect(statsAfter[kind] - statsBefore[kind]).toBe(sent[kind]);
    }
    expect(statsAfter.error).toBe(statsBefore.error);
    expect(statsAfter.signalled).toBe(statsBefore.signalled);
    expect(rssAfter - rssBefore).toBeLessThan(200 * 1024 * 1024);
    expect(rssPeak - rssBefore).toBeLessThan(400 * 1024 * 1024);

    // Still serving, and still doing its job for a real run.
    expect(await healthz()).toBe(200);
    await emulator.control('POST', '/scenarios', { match: { runName: 'after-flood' }, durationMs: 1_000 });
    const runsBefore = await runsCreated(emulator);
    const signalledBefore = receiver.stats().signalled;
    const result = await env.client.workflow.execute(databricksRun, {
      taskQueue,
      workflowId: `after-flood-${Math.random().toString(36).slice(2)}`,
      args: [spec('after-flood')],
    });
    expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'webhook' });
    expect(receiver.stats().signalled - signalledBefore).toBe(1);
    expect((await runsCreated(emulator)) - runsBefore).toBe(1);
  }, 180_000);
});

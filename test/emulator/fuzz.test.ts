/**
 * 1,000 malformed requests from a seeded generator — random methods, paths, query strings, bodies and
 * headers, plus raw bytes that are not HTTP at all — and the emulator must answer every one with a
 * well-formed response (never a 500, never a crash), then still work normally.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createRandom, type RandomSource } from '../../emulator/random.js';
import type { TestEmulator } from './helpers.js';
import { PAT, startTestEmulator, submit, task, waitForTerminal } from './helpers.js';

const SEED = 20261126;
const REQUESTS = 1000;
const RAW_SOCKETS = 60;

/** Known endpoints and the method each one takes. */
const ENDPOINTS: [string, string][] = [
  ['POST', '/jobs/create'],
  ['GET', '/jobs/get'],
  ['GET', '/jobs/list'],
  ['POST', '/jobs/delete'],
  ['POST', '/jobs/reset'],
  ['POST', '/jobs/update'],
  ['POST', '/jobs/run-now'],
  ['POST', '/jobs/runs/submit'],
  ['GET', '/jobs/runs/get'],
  ['GET', '/jobs/runs/get-output'],
  ['POST', '/jobs/runs/cancel'],
  ['POST', '/jobs/runs/cancel-all'],
  ['POST', '/jobs/runs/repair'],
  ['GET', '/jobs/runs/list'],
  ['POST', '/jobs/runs/delete'],
  ['POST', '/notification-destinations'],
  ['GET', '/notification-destinations'],
  ['PATCH', '/notification-destinations/00000000-0000-0000-0000-000000000000'],
];
const KNOWN_PATHS = ENDPOINTS.map(([, path]) => path);
const METHODS = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS'];
const FIELDS = [
  'job_id',
  'run_id',
  'tasks',
  'task_key',
  'depends_on',
  'run_if',
  'idempotency_token',
  'name',
  'limit',
  'page_token',
  'new_settings',
  'rerun_tasks',
  'latest_repair_id',
  'config',
  'timeout_seconds',
  'job_parameters',
  'spark_python_task',
  'python_file',
  'parameters',
  'webhook_notifications',
  'on_success',
  'id',
  'active_only',
];

class Generator {
  constructor(private readonly random: RandomSource) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  string(maxLength = 20): string {
    const alphabet = 'abcXYZ019 _-./%?&=#{}[]"\\\u00e9\u4e2d\u{1F600}\u0000';
    const chars = Array.from(alphabet);
    let out = '';
    const length = this.int(maxLength);
    for (let i = 0; i < length; i++) out += this.pick(chars);
    return out;
  }

  scalar(): unknown {
    return this.pick<() => unknown>([
      () => this.int(1e6),
      () => -this.int(1e6),
      () => this.random() * 1e20,
      () => 2 ** 53 + 2,
      () => 1e308,
      () => this.string(),
      () => String(this.int(1e12)),
      () => true,
      () => null,
      () => '',
      () => 'x'.repeat(70),
    ])();
  }

  value(depth = 0): unknown {
    if (depth > 4 || this.chance(0.5)) return this.scalar();
    if (this.chance(0.5)) return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = this.int(5); i > 0; i--)
      object[this.chance(0.8) ? this.pick(FIELDS) : this.string(8)] = this.value(depth + 1);
    return object;
  }

  path(): string {
    const version = this.pick(['2.0', '2.1', '2.2', '2.2', '2.3', '1.2', 'x', '']);
    const base = this.chance(0.75) ? this.pick(KNOWN_PATHS) : `/${this.string(12)}/${this.string(6)}`;
    const prefix = this.chance(0.9)
      ? `/api/${version}`
      : this.pick(['', '/__emulator', '/api', '//api/2.1', '/.well-known']);
    let path = `${prefix}${base}`;
    if (this.chance(0.1)) path += this.pick(['/', '//', '/..', '/%2e%2e/', '/%ZZ', '/%00', '/%E0%A4%A']);
    if (this.chance(0.02)) path += `/${'a'.repeat(6000)}`;
    if (this.chance(0.5)) {
      const params = Array.from({ length: this.int(4) }, () => {
        const key = this.chance(0.8) ? this.pick(FIELDS) : this.string(5);
        return `${encodeURIComponent(key)}=${encodeURIComponent(String(this.scalar()))}`;
      });
      path += `?${params.join('&')}${this.chance(0.1) ? '&%ZZ=%' : ''}`;
    }
    return path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  }

  /** A request that passes the front door (method, version, token) and tests what is behind it. */
  targeted(): {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string | Buffer | undefined;
  } {
    const [method, endpoint] = this.pick(ENDPOINTS);
    const version = endpoint.startsWith('/notification') ? '2.0' : this.pick(['2.0', '2.1', '2.2']);
    const query = Array.from({ length: this.int(4) }, () => {
      const key = this.pick(FIELDS);
      return `${key}=${encodeURIComponent(String(this.scalar()))}`;
    }).join('&');
    const body = method === 'GET' ? undefined : this.body();
    const headers: Record<string, string> = {
      authorization: `Bearer ${PAT}`,
      'content-type': 'application/json',
    };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const path = `/api/${version}${endpoint}${query ? `?${query}` : ''}`;
    return { method, path: path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c)), headers, body };
  }

  body(): string | Buffer | undefined {
    return this.pick<() => string | Buffer | undefined>([
      () => undefined,
      () => '',
      () => JSON.stringify(this.value()),
      () => JSON.stringify(this.value()),
      () => JSON.stringify({ [this.pick(FIELDS)]: this.value(), [this.pick(FIELDS)]: this.value() }),
      () =>
        JSON.stringify({
          tasks: [{ task_key: this.scalar(), depends_on: this.value(), run_if: this.scalar() }],
        }),
      () => JSON.stringify(this.value()).slice(0, this.int(30)),
      () => '{"a":'.repeat(200 + this.int(3000)),
      () => '['.repeat(5000) + ']'.repeat(5000),
      () => Buffer.from(Array.from({ length: this.int(200) }, () => this.int(256))),
      () => 'null',
      () => '"just a string"',
    ])();
  }

  headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    const auth = this.pick([
      `Bearer ${PAT}`,
      `Bearer ${PAT}`,
      `Bearer ${PAT}`,
      `bearer ${PAT}`,
      'Bearer',
      '',
      'Basic Zm9vOmJhcg==',
      `Bearer ${this.string(30).replace(/[^\x21-\x7e]/g, 'x')}`,
    ]);
    if (auth) headers.authorization = auth;
    if (this.chance(0.7))
      headers['content-type'] = this.pick([
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'x/y; charset=nope',
      ]);
    if (this.chance(0.1))
      headers['x-databricks-workspace-id'] = this.string(10).replace(/[^\x21-\x7e]/g, '0');
    return headers;
  }
}

interface Answer {
  status: number;
  body: string;
}

function send(
  url: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A connection per request (agent: false): Node's global agent keeps sockets alive, and a socket the
    // emulator closes after its keep-alive timeout just as the agent reuses it answers "socket hang up"
    // (seen once on a loaded machine) — a race of the client's pool, not an answer to the request.
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes that are not (valid) HTTP; resolves with whatever came back before the socket closed. */
function sendRaw(url: URL, payload: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => resolve(received));
    socket.on('close', () => resolve(received));
    socket.setTimeout(3000, () => socket.destroy());
    socket.write(payload, () => socket.end());
  });
}

describe('fuzzing the emulator', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 20 });
  });
  afterAll(async () => {
    await emu.close();
  });

  test(`${REQUESTS} malformed requests (seed ${SEED}) get well-formed answers, and the emulator keeps working`, async () => {
    const gen = new Generator(createRandom(SEED));
    const url = new URL(emu.url);
    const statuses = new Map<number, number>();
    const errorCodes = new Map<string, number>();
    const problems: string[] = [];

    const cases = Array.from({ length: REQUESTS }, () => {
      if (gen.chance(0.6)) return gen.targeted();
      const body = gen.body();
      const headers = gen.headers();
      // Mostly well-framed; sometimes a GET-style body without a length, which HTTP parsers reject.
      if (body !== undefined && gen.chance(0.95)) headers['content-length'] = String(Buffer.byteLength(body));
      return { method: gen.pick(METHODS), path: gen.path(), headers, body };
    });
    // A few at a time: concurrency is part of what is being tested.
    for (let i = 0; i < cases.length; i += 8) {
      await Promise.all(
        cases.slice(i, i + 8).map(async (c) => {
          const answer = await send(url, c.method, c.path, c.headers, c.body);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status >= 400 && answer.body.startsWith('{')) {
            const code = (JSON.parse(answer.body) as { error_code?: string }).error_code ?? '?';
            errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
          }
          const where = `${c.method} ${c.path.slice(0, 120)}`;
          if (answer.status >= 500)
            problems.push(`${answer.status} for ${where}: ${answer.body.slice(0, 200)}`);
          if (answer.status >= 400 && c.method !== 'HEAD' && answer.body !== '') {
            const parsed = JSON.parse(answer.body) as { error_code?: unknown; message?: unknown };
            if (typeof parsed.error_code !== 'string' || typeof parsed.message !== 'string') {
              problems.push(`unshaped error for ${where}: ${answer.body.slice(0, 200)}`);
            }
          }
        }),
      );
    }

    const rawGen = new Generator(createRandom(SEED + 1));
    const rawPayloads = [
      'GARBAGE\r\n\r\n',
      'GET /api/2.1/jobs/list HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"truncated":',
      `GET /api/2.1/jobs/list HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
      'POST /api/2.1/jobs/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nnope\r\n',
      'BREW /coffee HTCPCP/1.0\r\n\r\n',
      '\x00\x01\x02\x03',
    ];
    for (let i = 0; i < RAW_SOCKETS; i++) {
      const payload = i < rawPayloads.length ? rawPayloads[i]! : rawGen.string(200);
      const answer = await sendRaw(url, payload);
      if (answer.startsWith('HTTP/1.1 5')) problems.push(`raw payload ${i} got ${answer.slice(0, 40)}`);
    }

    expect(problems).toEqual([]);
    // The mix reached the handlers' validation, not just the front door.
    expect(
      (errorCodes.get('MALFORMED_REQUEST') ?? 0) + (errorCodes.get('INVALID_PARAMETER_VALUE') ?? 0),
    ).toBeGreaterThan(200);
    expect(errorCodes.get('UNAUTHENTICATED') ?? 0).toBeGreaterThan(50);
    expect(errorCodes.get('ENDPOINT_NOT_FOUND') ?? 0).toBeGreaterThan(50);
    expect(errorCodes.get('METHOD_NOT_ALLOWED') ?? 0).toBeGreaterThan(10);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(5);

    // Afterwards the emulator still does real work correctly.
    await emu.control('DELETE', '/faults');
    await emu.control('DELETE', '/scenarios');
    const runId = await submit(emu, { run_name: 'after the storm', tasks: [task('a'), task('b', ['a'])] });
    const run = await waitForTerminal(emu, runId);
    expect(run.state.result_state).toBe('SUCCESS');
    expect(run.tasks.map((t: any) => t.state.result_state)).toEqual(['SUCCESS', 'SUCCESS']);
    const missing = await emu.api('GET', '/api/2.1/jobs/runs/get?run_id=123');
    expect(missing.body.message).toBe('Run 123 does not exist.');
  });
});

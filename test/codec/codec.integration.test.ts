/**
 * Payload encryption end to end: a real dev server, a real worker with the AES-GCM codec running a
 * databricksRun against the emulator, and the codec server over real HTTP.
 *
 * What Temporal stores is read with a client that has no codec (as the server, an operator with
 * database access, or anyone without the keys sees it): every payload is ciphertext and the job's
 * name, notebook path and output appear nowhere in the history's bytes. The client with the codec
 * gets the real result; the codec server gives the same plaintext back to an authorised caller, the
 * Temporal CLI included.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { resolveTemporalBinary } from '../../scripts/lib/temporal-cli.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, METADATA_ENCRYPTION_KEY_ID } from '../../src/codec/index.js';
import { startCodecServer, type CodecServer } from '../../src/codec/http-server.js';
import { parseKeyRing } from '../../src/codec/key-ring.js';
import { payloadToJson } from '../../src/codec/payload-json.js';
import type { RunInput } from '../../src/shared/run-input.js';
import type { RunResult } from '../../src/shared/run-types.js';
import { databricksRun } from '../../src/workflows/index.js';
import { recordTestSecret } from '../helpers/secrets-ledger.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

type History = proto.temporal.api.history.v1.IHistory;

const RETIRED_KEY = randomBytes(32).toString('base64');
const ACTIVE_KEY = randomBytes(32).toString('base64');
const TOKEN = randomBytes(32).toString('base64url');
const UI_ORIGIN = 'http://localhost:8233';
recordTestSecret('codec key (retired)', RETIRED_KEY);
recordTestSecret('codec key (active)', ACTIVE_KEY);
recordTestSecret('codec auth token', TOKEN);
const BODY_LIMIT = 64 * 1024;

// Distinctive strings that must never reach Temporal in clear text.
const JOB_NAME = `codec-secret-job-${randomUUID().slice(0, 8)}`;
const NOTEBOOK_PATH = `/Repos/secret-team/${randomUUID().slice(0, 8)}/train`;
const OUTPUT_SECRET = `customer-ACME-${randomUUID().slice(0, 8)}`;

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/**
 * Every Payload in a history except search attributes (Temporal indexes them, so they are never
 * encoded: Lakeloop puts only ids and states there) and headers (interceptor context, not user data).
 */
function payloadsIn(
  value: unknown,
  found: Array<{ path: string; payload: Payload }> = [],
  path = '',
): typeof found {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return found;
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && !Array.isArray(record.metadata)) {
    found.push({ path, payload: record as Payload });
    return found;
  }
  for (const [key, child] of Object.entries(record)) {
    // A patch marker's payload is written by the SDK's core, not through the data converter: it names
    // the code version (patchMarkerIds checks it holds nothing else).
    if (key === 'searchAttributes' || key === 'header' || key === PATCH_DATA) continue;
    payloadsIn(child, found, `${path}.${key}`);
  }
  return found;
}

const PATCH_DATA = 'patch-data';

/** What each patch marker's payload says: `{"id": <patch id>, "deprecated": <boolean>}` and nothing more. */
function patchMarkerTexts(events: History['events']): string[] {
  return (events ?? []).flatMap((event) =>
    (event.markerRecordedEventAttributes?.details?.[PATCH_DATA]?.payloads ?? []).map((payload) =>
      Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'),
    ),
  );
}

describe('payload encryption with a real worker, dev server and codec server', () => {
  const codec = new AesGcmPayloadCodec(
    parseKeyRing(`2025-07:${RETIRED_KEY},2026-01:${ACTIVE_KEY}`, '2026-01', [])!,
  );
  let harness: WorkspaceHarness;
  let codecClient: Client;
  let server: CodecServer;
  let result: RunResult;
  let history: History;
  const workflowId = `codec-${randomUUID()}`;
  const input: RunInput = {
    submit: {
      run_name: JOB_NAME,
      tasks: [{ task_key: 'train', notebook_task: { notebook_path: NOTEBOOK_PATH } }],
    },
    wait: { mode: 'poll', pollInterval: '100ms', maxPollInterval: '300ms' },
  };

  async function post(
    path: string,
    body: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
  ): Promise<Response> {
    return fetch(`${server.endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  beforeAll(async () => {
    harness = await startWorkspaceHarness({ name: 'codec', payloadCodec: codec });
    codecClient = new Client({
      connection: harness.env.connection,
      namespace: harness.env.namespace ?? 'default',
      dataConverter: { payloadCodecs: [codec] },
    });
    server = await startCodecServer({
      codec,
      authToken: TOKEN,
      corsOrigins: [UI_ORIGIN],
      host: '127.0.0.1',
      port: 0,
      bodyLimitBytes: BODY_LIMIT,
    });
    await harness.emulator.control('POST', '/scenarios', {
      match: { runName: JOB_NAME },
      durationMs: 300,
      output: { customer: OUTPUT_SECRET },
    });
    result = await codecClient.workflow.execute(databricksRun, {
      taskQueue: harness.taskQueue,
      workflowId,
      args: [input],
    });
    // The harness's own client has no codec: it sees what Temporal stores.
    history = await harness.env.client.workflow.getHandle(workflowId).fetchHistory();
  });
  afterAll(async () => {
    await server?.close();
    await harness?.close();
  });

  test('the client with the codec gets the real result', () => {
    expect(result).toMatchObject({ outcome: 'SUCCESS', succeeded: true, waitMode: 'poll' });
    expect(result.outputs).toEqual([
      expect.objectContaining({ taskKey: 'train', result: JSON.stringify({ customer: OUTPUT_SECRET }) }),
    ]);
  });

  test('history holds only ciphertext: every payload is binary/encrypted, and no plaintext anywhere', async () => {
    const payloads = payloadsIn(history.events);
    // Workflow input and result, and each activity's input and result at least.
    expect(payloads.length).toBeGreaterThanOrEqual(8);
    const notEncrypted = payloads
      .filter(({ payload }) => text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING)
      .map(({ path }) => path);
    expect(notEncrypted).toEqual([]);
    // The only plaintext: patch ids (src/workflows/databricks-run.ts's patched() calls).
    expect(patchMarkerTexts(history.events).length).toBeGreaterThanOrEqual(1);
    for (const marker of patchMarkerTexts(history.events)) {
      expect(marker).toMatch(/^\{"id":"[a-z0-9-]+","deprecated":(true|false)\}$/);
    }
    for (const { payload } of payloads) {
      expect(text(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('2026-01');
      expect(Object.keys(payload.metadata!).sort()).toEqual(['encoding', METADATA_ENCRYPTION_KEY_ID]);
    }
    // The whole stored history, byte for byte, as the server returns it.
    const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
    for (const secret of [JOB_NAME, NOTEBOOK_PATH, OUTPUT_SECRET]) {
      expect(bytes.includes(secret)).toBe(false);
    }
    // Without the keys the result cannot be read at all.
    await expect(harness.env.client.workflow.getHandle(workflowId).result()).rejects.toThrow(
      /binary\/encrypted/,
    );
  });

  test('the codec server decodes the payloads the history holds back to the originals', async () => {
    const started = history.events!.find((e) => e.workflowExecutionStartedEventAttributes)!;
    const completed = history.events!.find((e) => e.workflowExecutionCompletedEventAttributes)!;
    const stored = [
      ...started.workflowExecutionStartedEventAttributes!.input!.payloads!,
      ...completed.workflowExecutionCompletedEventAttributes!.result!.payloads!,
    ];
    const response = await post('/decode', { payloads: stored.map(payloadToJson) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      payloads: Array<{ metadata: Record<string, string>; data: string }>;
    };
    expect(body.payloads).toHaveLength(2);
    for (const payload of body.payloads) {
      expect(Buffer.from(payload.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    }
    const [decodedInput, decodedResult] = body.payloads.map((p) =>
      JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')),
    );
    expect(decodedInput).toEqual(input);
    expect(decodedResult).toEqual(JSON.parse(JSON.stringify(result)));
  });

  test('encode then decode over HTTP round-trips, and encode uses the active key', async () => {
    const original = payloadToJson(defaultPayloadConverter.toPayload({ hello: 'world' }));
    const encoded = (await (await post('/encode', { payloads: [original] })).json()) as {
      payloads: Array<{ metadata: Record<string, string>; data: string }>;
    };
    const metadata = encoded.payloads[0]!.metadata;
    expect(Buffer.from(metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(metadata[METADATA_ENCRYPTION_KEY_ID]!, 'base64').toString()).toBe('2026-01');
    const decoded = (await (await post('/decode', encoded)).json()) as { payloads: unknown[] };
    expect(decoded.payloads).toEqual([original]);
  });

  test('401 without a token or with a wrong one; nothing decoded', async () => {
    const body = { payloads: [] };
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: 'Bearer not-the-token' },
      { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` },
    ];
    for (const headers of attempts) {
      const response = await post('/decode', body, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain(TOKEN);
    }
  });

  test('CORS: only the UI origin gets CORS headers; other origins are refused', async () => {
    const allowed = await post(
      '/decode',
      { payloads: [] },
      { authorization: `Bearer ${TOKEN}`, origin: UI_ORIGIN },
    );
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('vary')).toBe('Origin');

    const other = await post(
      '/decode',
      { payloads: [] },
      { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' },
    );
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-credentials')).toBeNull();

    // No Origin (the CLI, scripts): no CORS headers at all.
    const cli = await post('/decode', { payloads: [] });
    expect(cli.status).toBe(200);
    expect(cli.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('preflight: answered without credentials for the UI origin, with the headers the UI sends', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.endpoint}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const ok = await preflight(UI_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type, authorization, x-namespace');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');

    const refused = await preflight('http://localhost:9999');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a browser signs in once and the session cookie authorises the UI origin', async () => {
    const form = (token: string) =>
      fetch(`${server.endpoint}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
    const wrong = await form('not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const signedIn = await form(TOKEN);
    expect(signedIn.status).toBe(200);
    const setCookie = signedIn.headers.get('set-cookie')!;
    expect(setCookie).toMatch(
      /^lakeloop_codec_session=\d+\.[\w-]+; Path=\/codec; Max-Age=\d+; HttpOnly; SameSite=Lax$/,
    );
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0]!;

    const decoded = await post('/decode', { payloads: [] }, { cookie, origin: UI_ORIGIN });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const forged = await post(
      '/decode',
      { payloads: [] },
      { cookie: `${cookie.slice(0, -2)}xx`, origin: UI_ORIGIN },
    );
    expect(forged.status).toBe(401);
  });

  test('413 for a body over the limit, 400 for malformed or undecryptable input', async () => {
    const huge = await post('/decode', { payloads: [{ data: 'A'.repeat(BODY_LIMIT) }] });
    expect(huge.status).toBe(413);

    const notJson = await post('/decode', '{"payloads": [');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: 'body is not JSON' });

    const wrongShape = await post('/decode', { payloads: [{ data: 'not base64!' }] });
    expect(wrongShape.status).toBe(400);
    expect(((await wrongShape.json()) as { error: string }).error).toBe(
      'invalid body: payloads.0.data: expected base64',
    );

    const missing = await post('/decode', { nothing: [] });
    expect(missing.status).toBe(400);

    const unknownKey = payloadToJson({
      metadata: {
        encoding: Buffer.from(ENCRYPTED_ENCODING),
        [METADATA_ENCRYPTION_KEY_ID]: Buffer.from('1999-01'),
      },
      data: randomBytes(64),
    });
    const unknown = await post('/decode', { payloads: [unknownKey] });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toContain('key id "1999-01"');

    expect(
      (await fetch(`${server.endpoint}/decode`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(405);
    expect((await post('/other', { payloads: [] })).status).toBe(404);
  });

  test('the Temporal CLI shows decrypted history through the codec server, and only ciphertext without it', async () => {
    // Asynchronously: the codec server answering the CLI runs in this very process.
    const show = (env: Record<string, string>) =>
      promisify(execFile)(
        resolveTemporalBinary('cli').path!,
        [
          'workflow',
          'show',
          '--workflow-id',
          workflowId,
          '--output',
          'json',
          '--address',
          process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS!,
        ],
        {
          encoding: 'utf8',
          timeout: 20_000,
          env: { ...process.env, TEMPORAL_CONFIG_FILE: '/nonexistent', ...env },
        },
      );
    // The CLI prints payloads as proto JSON: metadata and data still base64, decoded by the codec or not.
    const payloadTexts = (stdout: string) =>
      payloadsIn(JSON.parse(stdout)).map(({ payload }) => ({
        encoding: Buffer.from(String(payload.metadata!.encoding), 'base64').toString(),
        data: Buffer.from(String(payload.data ?? ''), 'base64').toString(),
      }));
    const withCodec = payloadTexts(
      (await show({ TEMPORAL_CODEC_ENDPOINT: server.endpoint, TEMPORAL_CODEC_AUTH: `Bearer ${TOKEN}` }))
        .stdout,
    );
    expect(withCodec.filter((p) => p.encoding !== 'json/plain')).toEqual([]);
    const decodedText = withCodec.map((p) => p.data).join('\n');
    expect(decodedText).toContain(JOB_NAME);
    expect(decodedText).toContain(OUTPUT_SECRET);

    const without = payloadTexts((await show({})).stdout);
    expect(without.length).toBe(withCodec.length);
    expect(without.filter((p) => p.encoding !== ENCRYPTED_ENCODING)).toEqual([]);
    expect(without.map((p) => p.data).join('\n')).not.toContain(JOB_NAME);
  });
});

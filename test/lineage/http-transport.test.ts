/**
 * The HTTP transport against a real local HTTP server (node:http): the path and headers the official
 * client uses (POST <url>/api/v1/lineage, application/json, "Bearer <key>"), the event as the body;
 * a 500 is retried and then dropped with a warning naming the endpoint and never the key; a 400 is not
 * retried; and a workflow whose events cannot be delivered still runs to its end.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { buildRunEvent } from '../../src/lineage/openlineage/event.js';
import { httpTransport, LineageEmitter } from '../../src/lineage/openlineage/index.js';
import type { LineageFact } from '../../src/shared/lineage-facts.js';
import { databricksRun } from '../../src/workflows/index.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const API_KEY = 'ol-test-key-7f3a9c2e5b';
const FACT: LineageFact = {
  state: 'START',
  eventTime: '2026-12-03T18:00:00.000Z',
  workflow: {
    workflowId: 'wf',
    runId: '0d5b8c7e-1f43-4c8a-9c55-2b0e8f3a7d11',
    workflowType: 'databricksRun',
  },
  subject: { kind: 'workflow' },
};
const SETTINGS = { namespace: 'lakeloop', version: '0.2.0' };

describe('OpenLineage HTTP transport', () => {
  let server: Server;
  let url: string;
  let status = 201;
  let received: Received[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(status >= 400 ? '{"error":"no"}' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function emitter(warnings: Array<{ message: string; meta: Record<string, unknown> }>): LineageEmitter {
    return new LineageEmitter({
      ...SETTINGS,
      transport: httpTransport({ url, apiKey: API_KEY }),
      warn: (message, meta) => warnings.push({ message, meta }),
      retries: 3,
      backoffMs: 20,
    });
  }

  test('POSTs the event to /api/v1/lineage as JSON with the bearer key', async () => {
    received = [];
    status = 201;
    const warnings: Array<{ message: string; meta: Record<string, unknown> }> = [];
    const out = emitter(warnings);
    out.emit(FACT);
    expect(await out.flush(5_000)).toBe(true);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request).toMatchObject({ method: 'POST', url: '/api/v1/lineage' });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(JSON.parse(request!.body)).toEqual(buildRunEvent(FACT, SETTINGS));
    expect(warnings).toEqual([]);
  });

  test('a 500 is retried, then dropped with a warning naming the endpoint but not the key', async () => {
    received = [];
    status = 500;
    const warnings: Array<{ message: string; meta: Record<string, unknown> }> = [];
    const out = emitter(warnings);
    out.emit(FACT); // returns at once: delivery never holds up the caller
    expect(received).toHaveLength(0);
    expect(await out.flush(10_000)).toBe(true);
    expect(received).toHaveLength(4); // the first try and 3 retries
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      message: 'OpenLineage event dropped',
      meta: { target: `${url}/api/v1/lineage`, eventType: 'START', tries: 4, error: 'HTTP 500' },
    });
    expect(JSON.stringify(warnings)).not.toContain(API_KEY);
  });

  test('a 400 is not retried: the same body would be refused again', async () => {
    received = [];
    status = 400;
    const warnings: Array<{ message: string; meta: Record<string, unknown> }> = [];
    const out = emitter(warnings);
    out.emit(FACT);
    expect(await out.flush(5_000)).toBe(true);
    expect(received).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ meta: { tries: 1, error: 'HTTP 400' } });
  });

  describe('a workflow whose events cannot be delivered', () => {
    let harness: WorkspaceHarness;
    const warnings: Array<{ message: string; meta: Record<string, unknown> }> = [];
    let out: LineageEmitter;

    beforeAll(async () => {
      out = emitter(warnings);
      harness = await startWorkspaceHarness({ name: 'openlineage-http', lineage: out });
    });

    afterAll(async () => {
      await harness?.close();
      await out?.close();
    });

    test('still succeeds; its START and COMPLETE were each tried 4 times and dropped', async () => {
      received = [];
      status = 500;
      const result = await harness.env.client.workflow.execute(databricksRun, {
        taskQueue: harness.taskQueue,
        workflowId: `openlineage-http-${Date.now()}`,
        args: [
          {
            submit: {
              run_name: 'ol-http',
              tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
            },
            wait: { mode: 'poll', pollInterval: '200ms', maxPollInterval: '500ms' },
          },
        ],
      });
      expect(result.succeeded).toBe(true);
      expect(await out.flush(15_000)).toBe(true);
      const bodies = received.map((r) => JSON.parse(r.body) as { eventType: string });
      expect(bodies.map((b) => b.eventType)).toEqual([
        ...Array(4).fill('START'),
        ...Array(4).fill('COMPLETE'),
      ]);
      expect(warnings.map((w) => [w.message, w.meta.eventType])).toEqual([
        ['OpenLineage event dropped', 'START'],
        ['OpenLineage event dropped', 'COMPLETE'],
      ]);
      expect(JSON.stringify(warnings)).not.toContain(API_KEY);
    }, 60_000);
  });
});

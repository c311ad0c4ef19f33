/**
 * Tracing end to end, over the path users run: settings from OTEL_* variables, the real OTLP/HTTP
 * exporter posting to a collector (an in-process HTTP server here), a real worker with the pre-built
 * bundle's workflow interceptors, a client from connectClient, the real token layer (OAuth M2M) and
 * HTTP client against the emulator. One databricksRun must give one trace:
 * StartWorkflow → RunWorkflow → StartActivity → RunActivity → databricks HTTP spans (→ token exchange),
 * and nothing exported may contain a token or the client secret.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { trace } from '@opentelemetry/api';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectClient } from '../../src/client/connect.js';
import { loadConfig, type LakeloopConfig } from '../../src/config/index.js';
import { loadTracingSettings } from '../../src/config/tracing.js';
import { createLakeloopWorker } from '../../src/create-worker.js';
import { createWorkspaceClient } from '../../src/databricks/workspace-client.js';
import { startTracing, tracingActive, type Tracing } from '../../src/observability/tracing.js';
import type { RunInput } from '../../src/shared/run-input.js';
import { databricksRun } from '../../src/workflows/index.js';
import { startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { openTestOutput } from '../helpers/secrets-ledger.js';
import {
  connectToTestServer,
  testActivityDeps,
  testWorkflowBundlePath,
  uniqueTaskQueue,
} from '../helpers/temporal.js';

const FAST_POLL = { mode: 'poll' as const, pollInterval: '100ms', maxPollInterval: '300ms' };
const CLIENT_ID = '6f0c7a1e-3b2d-4c5e-9f8a-7b6c5d4e3f2a';
const CLIENT_SECRET = `dose${'t'.repeat(20)}-tracing-test-secret`;

/** A minimal OTLP/HTTP collector: keeps every POST /v1/traces body as received. */
interface Collector {
  url: string;
  bodies: string[];
  contentTypes: string[];
  close(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const bodies: string[] = [];
  const contentTypes: string[] = [];
  const record = openTestOutput('otlp collector'); // the suite's secrets sweep reads it too
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      contentTypes.push(req.headers['content-type'] ?? '');
      record(`${body}\n`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    contentTypes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: OtlpValue }>;
}
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  attributes: Record<string, string | number | boolean | undefined>;
}

function plain(value: OtlpValue): string | number | boolean | undefined {
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.boolValue ?? value.doubleValue;
}

/** Every span of every OTLP/JSON export request. */
function spansOf(bodies: string[]): ExportedSpan[] {
  const spans: ExportedSpan[] = [];
  for (const body of bodies) {
    const request = JSON.parse(body) as {
      resourceSpans: Array<{
        resource: { attributes: Array<{ key: string; value: OtlpValue }> };
        scopeSpans: Array<{ spans: OtlpSpan[] }>;
      }>;
    };
    for (const { resource, scopeSpans } of request.resourceSpans) {
      const service = String(plain(resource.attributes.find((a) => a.key === 'service.name')!.value));
      for (const { spans: list } of scopeSpans) {
        for (const span of list) {
          spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            service,
            attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, plain(a.value)])),
          });
        }
      }
    }
  }
  return spans;
}

describe('tracing settings (OTEL_* variables)', () => {
  function tracingOf(env: Record<string, string>) {
    const problems: string[] = [];
    const settings = loadTracingSettings(env, problems);
    return { settings, problems };
  }

  test('off unless asked; OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none win', () => {
    expect(tracingOf({}).settings).toEqual({ enabled: false });
    expect(tracingOf({ OTEL_SERVICE_NAME: 'x' }).settings).toEqual({ enabled: false });
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingOf({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }).settings).toEqual({ enabled: false });
    expect(tracingOf({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).settings).toEqual({ enabled: false });
    // Per the spec, only "true" disables.
    expect(tracingOf({ ...endpoint, OTEL_SDK_DISABLED: 'no' }).settings.enabled).toBe(true);
  });

  test('endpoints: the base URL gets /v1/traces, the traces URL is used as it is, otlp alone means localhost', () => {
    expect(tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com:4318/' }).settings).toEqual({
      enabled: true,
      tracesUrl: 'https://otel.example.com:4318/v1/traces',
    });
    expect(
      tracingOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/custom/traces',
        OTEL_SERVICE_NAME: 'nightly-worker',
      }).settings,
    ).toEqual({
      enabled: true,
      tracesUrl: 'http://jaeger:4318/custom/traces',
      serviceName: 'nightly-worker',
    });
    expect(tracingOf({ OTEL_TRACES_EXPORTER: 'otlp' }).settings).toEqual({
      enabled: true,
      tracesUrl: 'http://localhost:4318/v1/traces',
    });
    expect(
      tracingOf({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).problems,
    ).toEqual([]);
  });

  test('what cannot work is refused, naming the variable and the fix', () => {
    const { problems } = tracingOf({
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^OTEL_TRACES_EXPORTER: expected otlp or none/),
      expect.stringMatching(/^OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:\/\/ or https:\/\/ URL/),
      expect.stringMatching(
        /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: expected http\/json or http\/protobuf.*4318/,
      ),
    ]);
  });
});

describe('OpenTelemetry tracing', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let collector: Collector;
  const issuedTokens: string[] = [];
  let baseEnv: Record<string, string>;

  beforeAll(async () => {
    env = await connectToTestServer();
    emulator = await startTestEmulator({
      servicePrincipals: [{ applicationId: CLIENT_ID, secret: CLIENT_SECRET, displayName: 'tracing' }],
      onTokenIssued: (token) => void issuedTokens.push(token),
    });
    collector = await startCollector();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-tracing-'));
    const profile = path.join(dir, 'temporal.toml');
    writeFileSync(profile, '[profile.default]\n');
    baseEnv = {
      TEMPORAL_ADDRESS: process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS!,
      TEMPORAL_CONFIG_FILE: profile,
      LAKELOOP_STACK_ENV: 'off',
      DATABRICKS_CONFIG_FILE: path.join(dir, 'no-databrickscfg'),
      DATABRICKS_HOST: emulator.url,
      DATABRICKS_CLIENT_ID: CLIENT_ID,
      DATABRICKS_CLIENT_SECRET: CLIENT_SECRET,
    };
  });
  afterAll(async () => {
    await collector?.close();
    await emulator?.close();
    await env?.teardown();
  });

  /** What src/worker.ts and the CLI do, in one process: tracing, a worker, a client, one run. */
  async function runOnce(config: LakeloopConfig, tracing: Tracing | undefined, runName: string) {
    await emulator.control('POST', '/scenarios', { match: { runName }, durationMs: 300 });
    const worker = await createLakeloopWorker({
      connection: env.nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.worker.taskQueue,
      // Tracing on: bundled now, with the workflow span interceptors, as `npm run worker` does without a
      // pre-built bundle; off: the suite's plain bundle, as production's default.
      ...(tracing ? {} : { workflowBundlePath: testWorkflowBundlePath() }),
      shutdownGraceSeconds: 1,
      tracing,
      deps: testActivityDeps({
        databricks: createWorkspaceClient(config.databricks!, {
          requestsPerSecond: 500,
          burst: 500,
          timeoutMs: 5_000,
        }),
      }),
    });
    const running = worker.run();
    const lakeloop = await connectClient(config, { tracing });
    try {
      const input: RunInput = {
        submit: { run_name: runName, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
        wait: FAST_POLL,
      };
      const workflowId = `${runName}-${Date.now()}`;
      const result = await lakeloop.client.workflow.execute(databricksRun, {
        taskQueue: lakeloop.taskQueue,
        workflowId,
        args: [input],
      });
      return { result, workflowId };
    } finally {
      await lakeloop.close();
      worker.shutdown();
      await running;
    }
  }

  test('off by default: no OTEL variables, no tracer provider, nothing exported', async () => {
    const config = loadConfig({ ...baseEnv, LAKELOOP_TASK_QUEUE: uniqueTaskQueue('trace-off') });
    expect(config.tracing).toEqual({ enabled: false });
    // Told where the collector is but disabled: still nothing.
    for (const off of [{ OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }]) {
      expect(
        loadConfig({ ...baseEnv, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...off }).tracing.enabled,
      ).toBe(false);
    }
    const tracing = startTracing(config.tracing, { component: 'worker' });
    expect(tracing).toBeUndefined();

    const { result } = await runOnce(config, tracing, 'trace-off');
    expect(result.outcome).toBe('SUCCESS');

    expect(tracingActive()).toBe(false);
    // The global API still hands out @opentelemetry/api's no-op: spans that record nothing.
    const probe = trace.getTracer('probe').startSpan('probe');
    expect(probe.isRecording()).toBe(false);
    expect(probe.spanContext().traceId).toBe('00000000000000000000000000000000');
    probe.end();
    expect(collector.bodies).toEqual([]);
  });

  test('one trace from StartWorkflow to the Databricks requests, with run ids and no secrets', async () => {
    const taskQueue = uniqueTaskQueue('trace-on');
    const config = loadConfig({
      ...baseEnv,
      LAKELOOP_TASK_QUEUE: taskQueue,
      // The base URL form: the exporter posts to <endpoint>/v1/traces.
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_SERVICE_NAME: 'lakeloop-tracing-test',
    });
    expect(config.tracing).toEqual({
      enabled: true,
      tracesUrl: `${collector.url}/v1/traces`,
      serviceName: 'lakeloop-tracing-test',
    });
    const warnings: string[] = [];
    const tracing = startTracing(config.tracing, {
      component: 'worker',
      warn: (m) => void warnings.push(m),
    });
    expect(tracing).toBeDefined();
    expect(tracingActive()).toBe(true);

    const { result, workflowId } = await runOnce(config, tracing, 'trace-on');
    expect(result.outcome).toBe('SUCCESS');
    const runId = String(result.runId);

    // Shutdown exports what the batch processor still holds, then uninstalls the globals.
    await tracing!.shutdown();
    expect(tracingActive()).toBe(false);
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    expect(warnings).toEqual([]);

    expect(collector.bodies.length).toBeGreaterThan(0);
    for (const type of collector.contentTypes) expect(type).toContain('application/json');
    const spans = spansOf(collector.bodies);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (span: ExportedSpan) => (span.parentSpanId ? byId.get(span.parentSpanId) : undefined);

    // The client's span is the root, and everything of this run is in its trace.
    const start = spans.find((s) => s.name === 'StartWorkflow:databricksRun');
    expect(start).toBeDefined();
    expect(start!.parentSpanId).toBeUndefined();
    expect(start!.service).toBe('lakeloop-tracing-test');
    const traceSpans = spans.filter((s) => s.traceId === start!.traceId);

    const workflowSpan = traceSpans.find((s) => s.name === 'RunWorkflow:databricksRun');
    expect(workflowSpan).toBeDefined();
    expect(parentOf(workflowSpan!)).toBe(start);
    // Only identifiers of the workflow reach its span (Temporal would copy all of WorkflowInfo).
    expect(workflowSpan!.attributes).toMatchObject({ workflowId, workflowType: 'databricksRun', taskQueue });
    for (const key of ['memo', 'lastResult', 'searchAttributes', 'typedSearchAttributes']) {
      expect(workflowSpan!.attributes).not.toHaveProperty(key);
    }

    const activitySpans = traceSpans.filter((s) => s.name.startsWith('RunActivity:'));
    expect(activitySpans.map((s) => s.name)).toEqual(
      expect.arrayContaining(['RunActivity:submitRun', 'RunActivity:pollUntilTerminal']),
    );
    for (const activity of activitySpans) {
      const scheduled = parentOf(activity)!;
      expect(scheduled.name).toBe(activity.name.replace('RunActivity:', 'StartActivity:'));
      expect(parentOf(scheduled)).toBe(workflowSpan);
    }

    // Every Databricks request is a child of the activity that made it.
    const httpSpans = traceSpans.filter((s) => /^databricks (GET|POST) /.test(s.name));
    for (const span of httpSpans) {
      expect(parentOf(span)!.name).toMatch(/^RunActivity:/);
      expect(span.attributes['url.path']).toBe(String(span.attributes['url.path']).split('?')[0]);
      expect(span.attributes['http.response.status_code']).toBe(200);
    }
    const submit = httpSpans.find((s) => s.name === 'databricks POST /api/2.2/jobs/runs/submit');
    expect(submit).toBeDefined();
    expect(parentOf(submit!)!.name).toBe('RunActivity:submitRun');
    expect(submit!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/api/2.2/jobs/runs/submit',
      'databricks.endpoint': '/api/2.2/jobs/runs/submit',
      'databricks.run_id': runId, // from the response: the request did not know it yet
    });
    const polls = httpSpans.filter((s) => s.name === 'databricks GET /api/2.2/jobs/runs/get');
    expect(polls.length).toBeGreaterThanOrEqual(1);
    for (const poll of polls) {
      expect(poll.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.path': '/api/2.2/jobs/runs/get',
        'databricks.run_id': runId,
      });
    }

    // The OAuth exchange happened inside the first request, and says which method, not which token.
    const exchange = traceSpans.find((s) => s.name === 'databricks token exchange');
    expect(exchange).toBeDefined();
    expect(parentOf(exchange!)!.name).toMatch(/^databricks (GET|POST) /);
    expect(exchange!.attributes['databricks.auth_type']).toBe('oauth-m2m');

    // No token, client secret or credential header anywhere in what left the process.
    expect(issuedTokens.length).toBeGreaterThan(0);
    const exported = collector.bodies.join('\n');
    for (const secret of [...issuedTokens, CLIENT_SECRET]) expect(exported).not.toContain(secret);
    expect(exported).not.toMatch(/bearer|authorization|client_secret/i);
  });
});

/**
 * Metrics and logs end to end: a real worker (real token layer, HTTP client and budget) against the
 * emulator, Lakeloop's metrics served over HTTP and scraped like Prometheus would, and the worker's
 * runtime logger capturing activity logs with their context.
 */
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { loadDatabricksSettings } from '../../src/config/databricks.js';
import { createWorkspaceClient } from '../../src/databricks/workspace-client.js';
import { createLogger } from '../../src/observability/logger.js';
import { LakeloopMetrics, startMetricsServer, type MetricsServer } from '../../src/observability/metrics.js';
import type { RunInput } from '../../src/shared/run-input.js';
import type { RunResult } from '../../src/shared/run-types.js';
import { databricksRun } from '../../src/workflows/index.js';
import { startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import {
  connectToTestServer,
  createTestWorker,
  installTestRuntime,
  testActivityDeps,
  uniqueTaskQueue,
} from '../helpers/temporal.js';

const FAST_POLL = { mode: 'poll' as const, pollInterval: '100ms', maxPollInterval: '300ms' };
const CLIENT_ID = 'b7e1c0de-5a5a-4f00-8c1e-1a2b3c4d5e6f';
const CLIENT_SECRET = `dose${'x'.repeat(20)}-metrics-test-secret`;

/** Parses the exposition text into "name{labels}" → value (labels as written by the registry). */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

function sample(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of samples) {
    const match = /^([^{]+)(?:\{(.*)\})?$/.exec(key);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += value;
  }
  return total;
}

describe('worker metrics and logs', () => {
  const lines: string[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let worker: Worker;
  let running: Promise<void>;
  let server: MetricsServer;
  let taskQueue: string;
  const metrics = new LakeloopMetrics();

  beforeAll(async () => {
    // Before connectToTestServer: the first Runtime.install in this process is the one that counts.
    installTestRuntime({ logger: createLogger({ level: 'INFO', format: 'json', stream: capture }) });
    env = await connectToTestServer();
    emulator = await startTestEmulator({
      servicePrincipals: [{ applicationId: CLIENT_ID, secret: CLIENT_SECRET, displayName: 'metrics' }],
    });
    const problems: string[] = [];
    const settings = loadDatabricksSettings(
      {
        DATABRICKS_CONFIG_FILE: path.join(os.tmpdir(), 'lakeloop-no-databrickscfg'),
        DATABRICKS_HOST: emulator.url,
        DATABRICKS_CLIENT_ID: CLIENT_ID,
        DATABRICKS_CLIENT_SECRET: CLIENT_SECRET,
      },
      problems,
    );
    expect(problems).toEqual([]);
    const databricks = createWorkspaceClient(settings!, {
      requestsPerSecond: 500,
      burst: 500,
      timeoutMs: 5_000,
      metrics,
    });
    server = await startMetricsServer(metrics.registry, '127.0.0.1:0');
    taskQueue = uniqueTaskQueue('metrics');
    worker = await createTestWorker(env, taskQueue, testActivityDeps({ databricks, metrics }));
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await server?.close();
    await emulator?.close();
    await env?.teardown();
  });

  function execute(input: RunInput, workflowId: string): Promise<RunResult> {
    return env.client.workflow.execute(databricksRun, { taskQueue, workflowId, args: [input] });
  }

  async function scrape(): Promise<Map<string, number>> {
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    return parse(await response.text());
  }

  const submitInput = (runName: string): RunInput => ({
    submit: { run_name: runName, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
    wait: FAST_POLL,
  });

  test('a successful run moves the request, run, latency and token counters', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'metrics-ok' }, durationMs: 300 });
    const workflowId = `metrics-ok-${Date.now()}`;
    const result = await execute(submitInput('metrics-ok'), workflowId);
    expect(result.outcome).toBe('SUCCESS');

    const samples = await scrape();
    expect(
      sample(samples, 'lakeloop_databricks_requests_total', {
        method: 'POST',
        endpoint: '/api/2.2/jobs/runs/submit',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sample(samples, 'lakeloop_databricks_requests_total', {
        method: 'GET',
        endpoint: '/api/2.2/jobs/runs/get',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1); // 1 when a loaded machine's first poll comes after the 300 ms run ended
    // Ids never reach the endpoint label.
    for (const key of samples.keys()) {
      if (key.startsWith('lakeloop_databricks_requests_total')) expect(key).not.toMatch(/\/\d{3,}/);
    }
    expect(sample(samples, 'lakeloop_runs_submitted_total', { kind: 'submit' })).toBe(1);
    expect(sample(samples, 'lakeloop_runs_finished_total', { outcome: 'SUCCESS' })).toBe(1);
    expect(sample(samples, 'lakeloop_termination_detection_seconds_count', { mode: 'poll' })).toBe(1);
    expect(
      sample(samples, 'lakeloop_termination_detection_seconds_bucket', { mode: 'poll', le: '+Inf' }),
    ).toBe(1);
    expect(sample(samples, 'lakeloop_termination_detection_seconds_sum', { mode: 'poll' })).toBeLessThan(30);
    expect(sample(samples, 'lakeloop_token_refreshes_total', { auth_type: 'oauth-m2m' })).toBe(1);
    expect(sample(samples, 'lakeloop_token_refresh_failures_total')).toBe(0);

    // Activity logs arrive through the runtime logger as JSON lines carrying the workflow's context.
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const submitted = records.find(
      (r) => r.message === 'Databricks run submitted' && r.workflowId === workflowId,
    );
    expect(submitted).toMatchObject({
      level: 'INFO',
      workflowId,
      runId: expect.any(String),
      activity: 'submitRun',
      step: expect.any(String),
      databricksRunId: result.runId,
    });
    expect(typeof submitted!.timestamp).toBe('string');
    const terminal = records.find(
      (r) => r.message === 'Databricks run observed terminal' && r.workflowId === workflowId,
    );
    expect(terminal).toMatchObject({
      activity: 'pollUntilTerminal',
      databricksRunId: result.runId,
      outcome: 'SUCCESS',
    });
    // The client secret and issued tokens never appear in any line.
    expect(lines.join('\n')).not.toContain(CLIENT_SECRET);
  });

  test('429s from runs/get are counted, and the Retry-After pause is reported', async () => {
    const before = await scrape();
    await emulator.control('POST', '/faults', {
      path: '/jobs/runs/get',
      status: 429,
      retryAfterSeconds: 1,
      count: 2,
    });
    const result = await execute(submitInput('metrics-429'), `metrics-429-${Date.now()}`);
    expect(result.outcome).toBe('SUCCESS');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('lakeloop_databricks_requests_total', { method: 'GET', status: '429' })).toBe(2);
    expect(delta('lakeloop_databricks_throttled_total', { method: 'GET' })).toBe(2);
    expect(delta('lakeloop_databricks_retry_after_pauses_total')).toBeGreaterThanOrEqual(1);
    expect(delta('lakeloop_databricks_budget_wait_seconds_total')).toBeGreaterThan(0.5);
    expect(delta('lakeloop_runs_finished_total', { outcome: 'SUCCESS' })).toBe(1);
    expect(delta('lakeloop_runs_submitted_total')).toBe(1);
  });

  test('the endpoint answers 404 elsewhere and refuses writes', async () => {
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });
});

/**
 * A one-hour databricksRun with five-second tokens: the emulator runs an emulated hour in ~25 s
 * (time scale 144) while its tokens keep their wall-clock lifetime of 5 s, so the worker's token
 * layer refreshes many times during the wait. Nothing is mocked (real dev server, worker,
 * openid-client and HTTP); every figure comes from the emulator's stats and the token layer's own
 * counters. The secrets sweep of this file checks the workflow's history and every log line.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DatabricksAuthSettings } from '../../src/config/databricks.js';
import { createLakeloopWorker } from '../../src/create-worker.js';
import { createWorkspaceClient } from '../../src/databricks/workspace-client.js';
import { databricksRun } from '../../src/workflows/index.js';
import { PAT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import {
  connectToTestServer,
  installTestRuntime,
  testActivityDeps,
  testWorkflowBundlePath,
  uniqueTaskQueue,
} from '../helpers/temporal.js';
import {
  LogCapture,
  findLeaks,
  historyHaystacks,
  summariseLeaks,
  type Secret,
} from '../helpers/secrets-sweep.js';

const SP = '5ec0dd55-0001-4000-8000-000000003600';
const SP_SECRET = `dose${randomBytes(16).toString('hex')}`;
const HOUR_MS = 3_600_000;
const TOKEN_TTL_SECONDS = 5;
/** An emulated hour in 25 s of wall-clock time. */
const TIME_SCALE = 144;

interface EmulatorStats {
  requests: Record<string, number>;
  responses: { byStatus: Record<string, number> };
  runs: { created: number };
  tokens: { issued: number; rejected: number };
}

describe('a one-hour databricksRun with five-second tokens', () => {
  const logs = new LogCapture();
  const emulatorTokens: string[] = [];
  const workflowIds: string[] = [];
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;

  beforeAll(async () => {
    logs.captureConsole();
    // Before connectToTestServer: the first Runtime.install in this file is the one that counts.
    installTestRuntime({ logger: logs.logger, telemetryOptions: logs.telemetryOptions });
    env = await connectToTestServer();
    emulator = await startTestEmulator({
      servicePrincipals: [{ applicationId: SP, secret: SP_SECRET }],
      tokenTtlSeconds: TOKEN_TTL_SECONDS,
      timeScale: TIME_SCALE,
      onTokenIssued: (token) => void emulatorTokens.push(token),
    });
  });
  afterAll(async () => {
    await emulator?.close();
    await env?.teardown();
    logs.restoreConsole();
  });

  const stats = () => emulator.control<EmulatorStats>('GET', '/stats');

  test('keeps working across many token refreshes, with no failed request', async () => {
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'identity-one-hour' },
      durationMs: HOUR_MS,
      output: { hours: 1 },
    });
    const auth: DatabricksAuthSettings = {
      authType: 'oauth-m2m',
      host: emulator.url,
      clientId: SP,
      clientSecret: SP_SECRET,
    };
    const databricks = createWorkspaceClient(auth, { requestsPerSecond: 100, burst: 100, timeoutMs: 10_000 });
    const taskQueue = uniqueTaskQueue('identity-hour');
    const worker = await createLakeloopWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      deps: testActivityDeps({ databricks }),
      workflowBundlePath: testWorkflowBundlePath(),
      shutdownGraceSeconds: 1,
    });
    const workflowId = `identity-one-hour-${randomUUID()}`;
    workflowIds.push(workflowId);

    const before = await stats();
    const result = await worker.runUntil(() =>
      env.client.workflow.execute(databricksRun, {
        taskQueue,
        workflowId,
        args: [
          {
            submit: {
              run_name: 'identity-one-hour',
              tasks: [{ task_key: 'train', notebook_task: { notebook_path: '/Workspace/identity/hour' } }],
            },
            wait: { mode: 'poll', pollInterval: '1s', maxPollInterval: '1s' },
          },
        ],
      }),
    );
    const after = await stats();

    expect(result).toMatchObject({ outcome: 'SUCCESS', succeeded: true, waitMode: 'poll' });
    expect(result.outputs).toEqual([expect.objectContaining({ result: '{"hours":1}' })]);
    // An emulated hour (and a little setup and teardown) went by.
    expect(result.runDurationMs).toBeGreaterThanOrEqual(HOUR_MS);
    expect(after.runs.created - before.runs.created).toBe(1);

    const issued = after.tokens.issued - before.tokens.issued;
    const runsGet =
      (after.requests['GET /api/2.2/jobs/runs/get'] ?? 0) -
      (before.requests['GET /api/2.2/jobs/runs/get'] ?? 0);
    const statuses = Object.fromEntries(
      Object.entries(after.responses.byStatus).map(([status, n]) => [
        status,
        n - (before.responses.byStatus[status] ?? 0),
      ]),
    );
    // Many five-second tokens over ~25 s, each one a refresh of the worker's provider, none failed.
    expect(issued).toBeGreaterThanOrEqual(4);
    expect(databricks.tokens.stats()).toEqual({ refreshes: issued, refreshFailures: 0 });
    // The worker kept polling with those tokens, and the emulator answered every request with 200:
    // no 401 (a token used after it expired), no rejected token request.
    expect(runsGet).toBeGreaterThanOrEqual(10);
    expect(statuses['401'] ?? 0).toBe(0);
    expect(after.tokens.rejected - before.tokens.rejected).toBe(0);
    expect(Object.entries(statuses).filter(([status, n]) => status !== '200' && n > 0)).toEqual([]);
    process.stdout.write(
      `identity one-hour run: ${issued} tokens issued, ${runsGet} runs/get, ` +
        `${statuses['401'] ?? 0} 401s, responses ${JSON.stringify(statuses)}\n`,
    );
  }, 90_000);

  // Declared last: after the workflow has finished and the worker has shut down.
  test('secrets sweep: no secret or token in the history, worker logs or console', async () => {
    const secrets: Secret[] = [
      { label: 'the service principal secret', value: SP_SECRET },
      { label: 'the PAT', value: PAT },
      ...emulatorTokens.map((value, i) => ({ label: `emulator token #${i + 1}`, value })),
    ];
    const histories = await historyHaystacks(env.client, workflowIds);
    // Not vacuous: the tokens exist, the run name is found in the decoded input, the logs were captured.
    expect(emulatorTokens.length).toBeGreaterThanOrEqual(4);
    expect(histories).toHaveLength(1);
    expect(histories[0]!.text).toContain('identity-one-hour');
    expect(logs.runtimeLines.some((line) => line.includes('pollUntilTerminal'))).toBe(true);

    expect(summariseLeaks(findLeaks([...histories, ...logs.haystacks()], secrets))).toEqual([]);
  });
});

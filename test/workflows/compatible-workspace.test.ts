/**
 * databricksRun against workspaces that answer the way other real workspaces, proxies and
 * Databricks-compatible servers do (the emulator's `--dialect`, emulator/http/dialect.ts):
 *  - explicit `null` for every unset field, ids above 2^62 (beyond a JavaScript number), and OAuth
 *    discovery without `issuer` — with OAuth M2M, so discovery really happens;
 *  - all of that plus no `runs/repair` and no notification destinations.
 * The matrix: one-time runs and run-now by id and by name; webhook and poll waits; SUCCESS,
 * SUCCESS_WITH_FAILURES, a typed FAILED, a repair, a cancellation; and the fallbacks (repair →
 * resubmit, notifications → polling). Every id must come back exact — in the result, the search
 * attribute and the CLI — compared with the emulator's own raw answer, read without rounding.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { DialectFlag } from '../../emulator/options.js';
import { main } from '../../src/client/main.js';
import { parseExactJson } from '../../src/databricks/json.js';
import type { RunInput } from '../../src/shared/run-input.js';
import type { RunResult } from '../../src/shared/run-types.js';
import { PAT, type TestEmulator } from '../emulator/helpers.js';
import { captureConsole, pointCliAtTestServer } from '../helpers/cli.js';
import { runsCreated, startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const SP_ID = '7d3f2a10-1c4b-4e8a-9f65-3b2d1e0c9a87';
const SP_SECRET = 'dose-compat-workspace-secret-0123456789';
const TWO_TO_62 = 2n ** 62n;
const PASSWORD = 'compat-webhook-password-0123456789';

/** An emulator answer read exactly (ids as bigint), as a real client must read it. */
async function exactApi(emulator: TestEmulator, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${PAT}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return parseExactJson(text);
}

const exactRun = (emulator: TestEmulator, runId: string) =>
  exactApi(emulator, 'GET', `/api/2.2/jobs/runs/get?run_id=${runId}`);

function expectBigId(id: string | undefined): void {
  expect(id).toMatch(/^\d{19}$/);
  expect(BigInt(id!) >= TWO_TO_62).toBe(true);
}

function startHarness(
  name: string,
  dialect: DialectFlag[],
  withReceiver: boolean,
): Promise<WorkspaceHarness> {
  return startWorkspaceHarness({
    name,
    emulator: {
      dialect,
      timeScale: 10,
      servicePrincipals: [{ applicationId: SP_ID, secret: SP_SECRET, displayName: 'compat worker' }],
    },
    auth: (emulator) => ({
      authType: 'oauth-m2m',
      host: emulator.url,
      clientId: SP_ID,
      clientSecret: SP_SECRET,
    }),
    ...(withReceiver
      ? { receiver: { username: 'databricks', password: PASSWORD, lookupTimeoutMs: 9_000 } }
      : { webhookDestinationId: '4a8f0c2e-0000-4000-8000-00000000dead' }),
  });
}

async function execute(harness: WorkspaceHarness, input: RunInput, id: string): Promise<RunResult> {
  return harness.env.client.workflow.execute('databricksRun', {
    taskQueue: harness.taskQueue,
    workflowId: `${id}-${Date.now()}`,
    args: [input],
  });
}

async function failure(harness: WorkspaceHarness, input: RunInput, id: string): Promise<RunResult> {
  try {
    await execute(harness, input, id);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; details?: unknown[] };
    expect(cause.type).toBe('DatabricksRunFailed');
    return cause.details![0] as RunResult;
  }
  throw new Error('the workflow did not fail');
}

/** A two-task run (prepare → train) whose train task fails once with a platform error, then succeeds. */
async function trainFailsOnce(emulator: TestEmulator, runName: string): Promise<void> {
  await emulator.control('POST', '/scenarios', { match: { runName }, durationMs: 300 });
  await emulator.control('POST', '/scenarios', {
    match: { runName, taskKey: 'train' },
    durationMs: 300,
    failTimes: 1,
    terminationCode: 'CLOUD_FAILURE',
  });
}

const notebook = (key: string, extra: Record<string, unknown> = {}) => ({
  task_key: key,
  notebook_task: { notebook_path: `/Repos/ml/${key}` },
  ...extra,
});

describe('a workspace with explicit nulls, ids above 2^62 and OAuth discovery without issuer', () => {
  let harness: WorkspaceHarness;
  const { out, err } = captureConsole();
  let restoreEnvironment: () => void;

  beforeAll(async () => {
    harness = await startHarness('compat-ids', ['strict-nulls', 'int64-ids', 'no-issuer'], true);
    restoreEnvironment = pointCliAtTestServer(harness.taskQueue);
  });
  afterAll(async () => {
    restoreEnvironment?.();
    await harness?.close();
  });

  test('a one-time run awaited by webhook: ids exact in the result, the search attribute and the CLI', async () => {
    const { emulator } = harness;
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'compat-once' },
      durationMs: 2_000,
      output: 'ok',
    });
    const workflowId = `compat-once-${Date.now()}`;
    const result: RunResult = await harness.env.client.workflow.execute('databricksRun', {
      taskQueue: harness.taskQueue,
      workflowId,
      args: [
        {
          submit: {
            run_name: 'compat-once',
            tasks: [notebook('prepare'), notebook('train', { depends_on: [{ task_key: 'prepare' }] })],
          },
        },
      ],
    });
    expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'webhook' });
    expectBigId(result.runId);
    const raw = await exactRun(emulator, result.runId);
    expect(raw.run_id.toString()).toBe(result.runId);
    // A one-time run's job id is null here: not set, not an error.
    expect(result.jobId).toBeUndefined();
    expect(result.tasks.map((t) => t.runId).sort()).toEqual(
      raw.tasks.map((t: { run_id: bigint }) => t.run_id.toString()).sort(),
    );
    for (const task of result.tasks) expectBigId(task.runId);
    expect(result.outputs.find((o) => o.taskKey === 'train')?.result).toBe('ok');

    const description = await harness.env.client.workflow.getHandle(workflowId).describe();
    expect(description.searchAttributes.DatabricksRunId).toEqual([result.runId]);
    const found = [];
    for await (const execution of harness.env.client.workflow.list({
      query: `DatabricksRunId = '${result.runId}'`,
    }))
      found.push(execution.workflowId);
    expect(found).toEqual([workflowId]);

    out.length = 0;
    expect(await main(['result', workflowId, '--json'])).toBe(0);
    expect(JSON.parse(out[0]!).result.runId).toBe(result.runId);
    out.length = 0;
    expect(await main(['result', workflowId])).toBe(0);
    expect(out.join('\n')).toContain(`run          ${result.runId}`);
    out.length = 0;
    expect(await main(['status', workflowId])).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`^databricks +run ${result.runId} · SUCCESS$`, 'm'));
    expect(err).toEqual([]);
  });

  test('run-now by job id (polled) and by job name (webhook): exact job and run ids', async () => {
    const { emulator } = harness;
    const created = await exactApi(emulator, 'POST', '/api/2.2/jobs/create', {
      name: 'compat-nightly',
      parameters: [{ name: 'date', default: '2026-01-01' }],
      tasks: [notebook('train')],
      webhook_notifications: {
        on_success: [{ id: harness.destinationId }],
        on_failure: [{ id: harness.destinationId }],
      },
    });
    const jobId = created.job_id.toString();
    expectBigId(jobId);
    await emulator.control('POST', '/scenarios', { match: { jobName: 'compat-nightly' }, durationMs: 1_000 });

    const byId = await execute(
      harness,
      { jobId, jobParameters: { date: '2026-12-03' }, wait: { mode: 'poll', pollInterval: '500ms' } },
      'compat-by-id',
    );
    expect(byId).toMatchObject({ outcome: 'SUCCESS', jobId, waitMode: 'poll' });
    const raw = await exactRun(emulator, byId.runId);
    expect(raw.job_id.toString()).toBe(jobId);
    expect(raw.job_parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'date', value: '2026-12-03' })]),
    );

    const byName = await execute(harness, { jobName: 'compat-nightly' }, 'compat-by-name');
    expect(byName).toMatchObject({ outcome: 'SUCCESS', jobId, waitMode: 'webhook' });
    expectBigId(byName.runId);
    expect(byName.runId).not.toBe(byId.runId);
  });

  test('SUCCESS_WITH_FAILURES succeeds and names the task that failed', async () => {
    const { emulator } = harness;
    await emulator.control('POST', '/scenarios', { match: { runName: 'compat-partial' }, durationMs: 500 });
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'compat-partial', taskKey: 'features' },
      durationMs: 500,
      result: 'FAILED',
    });
    const result = await execute(
      harness,
      {
        submit: {
          run_name: 'compat-partial',
          tasks: [
            notebook('features'),
            notebook('report', { depends_on: [{ task_key: 'features' }], run_if: 'ALL_DONE' }),
          ],
        },
      },
      'compat-partial',
    );
    expect(result).toMatchObject({ outcome: 'SUCCESS_WITH_FAILURES', succeeded: true });
    expect(result.failedTasks).toEqual(['features FAILED']);
  });

  test('a failed run fails the workflow with the typed result and the exact id', async () => {
    const { emulator } = harness;
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'compat-fail' },
      durationMs: 300,
      result: 'FAILED',
      terminationCode: 'RUN_EXECUTION_ERROR',
      error: 'ValueError: bad features',
    });
    const result = await failure(
      harness,
      { submit: { run_name: 'compat-fail', tasks: [notebook('only')] } },
      'compat-fail',
    );
    expect(result).toMatchObject({ outcome: 'FAILED', terminationCode: 'RUN_EXECUTION_ERROR' });
    expectBigId(result.runId);
    expect(result.outputs[0]?.error).toContain('ValueError: bad features');
  });

  test('a platform failure of one task is repaired in the same run', async () => {
    const { emulator } = harness;
    await trainFailsOnce(emulator, 'compat-repair');
    const before = await runsCreated(emulator);
    const result = await execute(
      harness,
      {
        submit: {
          run_name: 'compat-repair',
          tasks: [notebook('prepare'), notebook('train', { depends_on: [{ task_key: 'prepare' }] })],
        },
        retry: { maxAttempts: 2, strategy: 'repair' },
      },
      'compat-repair',
    );
    expect(result).toMatchObject({ outcome: 'SUCCESS', repairs: 1 });
    expect(result.attempts.map((a) => a.kind)).toEqual(['submit', 'repair']);
    expect(result.fallbacks).toBeUndefined();
    expect((await runsCreated(emulator)) - before).toBe(1);
    const raw = await exactRun(emulator, result.runId);
    const repair = raw.repair_history.find((r: { type: string }) => r.type === 'REPAIR');
    expectBigId(repair.id.toString());
  });

  test('cancelling the workflow cancels the run it knows by its exact id', async () => {
    const { emulator } = harness;
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'compat-cancel' },
      durationMs: 600_000,
    });
    const handle = await harness.env.client.workflow.start('databricksRun', {
      taskQueue: harness.taskQueue,
      workflowId: `compat-cancel-${Date.now()}`,
      args: [{ submit: { run_name: 'compat-cancel', tasks: [notebook('only')] } } satisfies RunInput],
    });
    let runId: string | undefined;
    for (const deadline = Date.now() + 30_000; !runId && Date.now() < deadline;) {
      runId = (await handle.describe()).searchAttributes.DatabricksRunId?.[0] as string | undefined;
      if (!runId) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expectBigId(runId);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const raw = await exactRun(emulator, runId!);
    expect(raw.state.result_state).toBe('CANCELED');
  });
});

describe('a workspace without runs/repair and without notification destinations', () => {
  let harness: WorkspaceHarness;

  beforeAll(async () => {
    harness = await startHarness(
      'compat-none',
      ['strict-nulls', 'int64-ids', 'no-issuer', 'no-repair', 'no-notifications'],
      false,
    );
  });
  afterAll(async () => {
    await harness?.close();
  });

  test('notifications refused: the run is submitted once without them and polled, and the result says so', async () => {
    const { emulator } = harness;
    await emulator.control('POST', '/scenarios', { match: { runName: 'compat-no-hooks' }, durationMs: 500 });
    const before = await runsCreated(emulator);
    const result = await execute(
      harness,
      { submit: { run_name: 'compat-no-hooks', tasks: [notebook('only')] } },
      'compat-no-hooks',
    );
    expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'poll' });
    expectBigId(result.runId);
    expect(result.fallbacks).toEqual([expect.stringMatching(/^notifications → polling: /)]);
    expect((await runsCreated(emulator)) - before).toBe(1);
  });

  test('repair not offered: the whole run is resubmitted instead, and the result says so', async () => {
    const { emulator } = harness;
    await trainFailsOnce(emulator, 'compat-no-repair');
    const before = await runsCreated(emulator);
    const result = await execute(
      harness,
      {
        submit: {
          run_name: 'compat-no-repair',
          tasks: [notebook('prepare'), notebook('train', { depends_on: [{ task_key: 'prepare' }] })],
        },
        wait: { mode: 'poll', pollInterval: '500ms' },
        retry: { maxAttempts: 2, strategy: 'repair' },
      },
      'compat-no-repair',
    );
    expect(result).toMatchObject({ outcome: 'SUCCESS', repairs: 0 });
    expect(result.attempts.map((a) => a.kind)).toEqual(['submit', 'submit']);
    expect(result.fallbacks).toEqual([expect.stringMatching(/^repair → resubmit: .*ENDPOINT_NOT_FOUND/)]);
    expect((await runsCreated(emulator)) - before).toBe(2);
  });
});

/**
 * `npm run histories` — re-records the workflow histories that test/replay.test.ts replays.
 * Runs each scenario below on a fresh local dev server with a real worker, the emulator and the
 * webhook receiver, then writes the history JSON (the format of `temporal workflow show --output json`)
 * to test/histories/. Re-record only on purpose: a replay failure usually means a change would break
 * running workflows, and the fix is `patched()`, not new histories.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startEmulator } from '../emulator/server.js';
import { createLakeloopWorker } from '../src/create-worker.js';
import { createWorkspaceClient } from '../src/databricks/workspace-client.js';
import type { PipelineDefinition } from '../src/shared/pipeline-definition.js';
import type { RunInput } from '../src/shared/run-input.js';
import { catchUpWaitingRuns } from '../src/webhooks/catch-up.js';
import { startWebhookReceiver } from '../src/webhooks/receiver.js';
import {
  databricksRun,
  healthCheck,
  mlPipeline,
  orphanReaper,
  pipelineStatusQuery,
  receiverHeartbeatSignal,
  receiversQuery,
  statusQuery,
  webhookReceivers,
} from '../src/workflows/index.js';
import { Cleanup, startEphemeralTemporal } from './lib/local-stack.js';
import { projectRoot, resolveTemporalBinary } from './lib/temporal-cli.js';

const taskQueue = 'record-histories';
const PAT = 'dapi-record-histories';
const WEBHOOK_PASSWORD = 'record-histories-webhook-password';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

async function control(emulator: Emulator, method: string, route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}/__emulator${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status}`);
  return response.json();
}

async function api(
  emulator: Emulator,
  route: string,
  body: unknown,
): Promise<{ job_id?: number; id?: string }> {
  const response = await fetch(`${emulator.url}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${PAT}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { job_id?: number; id?: string };
}

function submitSpec(runName: string): RunInput['submit'] {
  return { run_name: runName, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] };
}

const FAST_POLL = { mode: 'poll' as const, pollInterval: '100ms', maxPollInterval: '300ms' };

/** pipelines/churn.json with fast polling; `weak` trains the deliberately weaker candidate. */
function churnPipeline(weak: boolean): PipelineDefinition {
  const pipeline = JSON.parse(
    readFileSync(path.join(projectRoot, 'pipelines', 'churn.json'), 'utf8'),
  ) as PipelineDefinition;
  pipeline.train.wait = FAST_POLL;
  pipeline.score!.wait = FAST_POLL;
  if (weak)
    (
      pipeline.train.submit!.tasks[0] as unknown as { spark_python_task: { parameters: string[] } }
    ).spark_python_task.parameters.push('--weak');
  return pipeline;
}

/** runs/submit answers after 3 s, and the run it creates lasts a minute. */
async function slowSubmit(emulator: Emulator, runName: string): Promise<void> {
  await control(emulator, 'POST', '/faults', {
    method: 'POST',
    path: '/jobs/runs/submit',
    latencyMs: 3_000,
    count: 1,
  });
  await control(emulator, 'POST', '/scenarios', { match: { runName }, durationMs: 60_000 });
}

/**
 * Each scenario runs one workflow to its end (success or failure). Its workflow id is the scenario's
 * name: the replay test passes the file name as the id, and child workflow ids derive from it.
 */
type Scenario = (client: Client, emulator: Emulator, workflowId: string) => Promise<void>;

async function runToEnd(client: Client, workflowId: string, input: RunInput): Promise<void> {
  await client.workflow
    .execute(databricksRun, { taskQueue, workflowId, args: [input] })
    .catch(() => undefined);
}

const scenarios: Record<string, Scenario> = {
  'health-check': async (client, _emulator, workflowId) => {
    await client.workflow.execute(healthCheck, {
      taskQueue,
      workflowId,
      args: [{ requestedBy: 'recorder' }],
    });
  },
  'databricks-run-poll': (client, _emulator, workflowId) =>
    runToEnd(client, workflowId, { submit: submitSpec('poll'), wait: FAST_POLL }),
  'databricks-run-webhook': (client, _emulator, workflowId) =>
    runToEnd(client, workflowId, { submit: submitSpec('webhook'), wait: { mode: 'webhook' } }),
  'databricks-run-heartbeat': (client, _emulator, workflowId) =>
    runToEnd(client, workflowId, {
      submit: submitSpec('heartbeat'),
      wait: { mode: 'heartbeat', heartbeatPollInterval: '200ms' },
    }),
  'databricks-run-failed': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/scenarios', {
      match: { runName: 'failed' },
      durationMs: 300,
      result: 'FAILED',
    });
    return runToEnd(client, workflowId, { submit: submitSpec('failed'), wait: FAST_POLL });
  },
  'databricks-run-resubmit': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/scenarios', {
      match: { runName: 'resubmit' },
      durationMs: 300,
      terminationCode: 'CLOUD_FAILURE',
      failTimes: 1,
    });
    return runToEnd(client, workflowId, {
      submit: submitSpec('resubmit'),
      wait: FAST_POLL,
      retry: { maxAttempts: 2, strategy: 'resubmit' },
    });
  },
  'databricks-run-repair': async (client, emulator, workflowId) => {
    const { job_id: jobId } = await api(emulator, '/api/2.2/jobs/create', {
      name: 'recorded-repair',
      tasks: [
        { task_key: 'a', notebook_task: { notebook_path: '/a' } },
        { task_key: 'b', depends_on: [{ task_key: 'a' }], notebook_task: { notebook_path: '/b' } },
      ],
    });
    await control(emulator, 'POST', '/scenarios', {
      match: { taskKey: 'b', jobName: 'recorded-repair' },
      durationMs: 200,
      terminationCode: 'DRIVER_ERROR',
      failTimes: 1,
    });
    return runToEnd(client, workflowId, {
      jobId,
      jobParameters: { date: '2026-11-26' },
      wait: FAST_POLL,
      retry: { maxAttempts: 2, terminationCodes: ['DRIVER_ERROR'] },
    });
  },
  'databricks-run-deadline': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/scenarios', { match: { runName: 'deadline' }, durationMs: 60_000 });
    return runToEnd(client, workflowId, {
      submit: submitSpec('deadline'),
      wait: FAST_POLL,
      timeout: '2s',
    });
  },
  'databricks-run-cancelled': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/scenarios', { match: { runName: 'cancelled' }, durationMs: 60_000 });
    const handle = await client.workflow.start(databricksRun, {
      taskQueue,
      workflowId,
      args: [{ submit: submitSpec('cancelled'), wait: FAST_POLL }],
    });
    for (let i = 0; i < 100; i++) {
      const status = (await handle.query('status')) as { phase: string };
      if (status.phase === 'waiting') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.cancel();
    await handle.result().catch(() => undefined);
  },
  'ml-pipeline-promoted': async (client, _emulator, workflowId) => {
    await client.workflow.execute(mlPipeline, { taskQueue, workflowId, args: [churnPipeline(false)] });
  },
  'ml-pipeline-rejected': async (client, _emulator, workflowId) => {
    await client.workflow.execute(mlPipeline, { taskQueue, workflowId, args: [churnPipeline(true)] });
  },
  // The patched webhook paths (EARLY_NOTIFICATIONS_PATCH in databricks-run.ts): a submission whose
  // answers were lost, so the run ended before its id was recorded, and a repaired run that ended
  // before runs/repair answered.
  'databricks-run-webhook-slow-submit': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/submit',
      dropResponse: true,
      count: 3,
    });
    await control(emulator, 'POST', '/scenarios', { match: { runName: 'slow-submit' }, durationMs: 0 });
    return runToEnd(client, workflowId, {
      submit: submitSpec('slow-submit'),
      wait: { mode: 'webhook', safetyNetInterval: '1h' },
    });
  },
  'databricks-run-webhook-repair-early': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/repair',
      dropResponse: true,
      count: 1,
    });
    await control(emulator, 'POST', '/scenarios', {
      match: { runName: 'quick-repair' },
      durationMs: 0,
      failTimes: 1,
      terminationCode: 'DRIVER_ERROR',
    });
    return runToEnd(client, workflowId, {
      submit: submitSpec('quick-repair'),
      wait: { mode: 'webhook', safetyNetInterval: '1h' },
      retry: { maxAttempts: 2, strategy: 'repair' },
    });
  },
  // NOTIFICATION_CATCH_UP_PATCH: the wait shows in visibility, its notification is lost (as while no
  // receiver listened), and a receiver's catch-up finds the ended run an hour before the safety net.
  'databricks-run-webhook-caught-up': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/faults', { webhook: 'drop' });
    await control(emulator, 'POST', '/scenarios', { match: { runName: 'caught-up' }, durationMs: 1_000 });
    const handle = await client.workflow.start(databricksRun, {
      taskQueue,
      workflowId,
      args: [{ submit: submitSpec('caught-up'), wait: { mode: 'webhook', safetyNetInterval: '1h' } }],
    });
    await until(async () => {
      const view = await handle.query(statusQuery);
      if (view.phase !== 'waiting' || view.runId === undefined) return false;
      const run = (await control(emulator, 'GET', `/runs/${view.runId}`)) as { terminal?: boolean };
      return run.terminal === true;
    }, 'the run to end unnoticed');
    await until(async () => {
      const report = await catchUpWaitingRuns({
        client,
        taskQueue,
        receiverUpAt: new Date(),
        ratePerSecond: 10,
      });
      return report.signalled > 0;
    }, 'the catch-up to find it');
    await handle.result();
    await control(emulator, 'DELETE', '/faults');
  },
  // The receivers' heartbeats: two receivers, one of which stops.
  'webhook-receivers': async (client, _emulator, workflowId) => {
    // Recent: the registry forgets receivers unseen for a day.
    const start = Date.now() - 10_000;
    const at = (s: number) => new Date(start + s * 1000).toISOString();
    const beats = [
      { receiverId: 'a', since: at(0), at: at(0) },
      { receiverId: 'b', since: at(1), at: at(1) },
      { receiverId: 'a', since: at(0), at: at(5), stopped: true },
    ];
    for (const beat of beats)
      await client.workflow.signalWithStart(webhookReceivers, {
        workflowId,
        taskQueue,
        args: [{}],
        signal: receiverHeartbeatSignal,
        signalArgs: [beat],
      });
    const handle = client.workflow.getHandle(workflowId);
    await until(async () => (await handle.query(receiversQuery)).a?.stopped === true, 'the heartbeats');
    await handle.terminate('recorded');
  },
  // SUBMISSION_OUTLIVES_CANCELLATION_PATCH: the deadline, or a cancel request, lands while runs/submit
  // is answering slowly; the workflow waits for the run id and cancels the run it created. Their
  // `-unpatched` twins in test/histories/before-exact-ids/ were recorded by these same scenarios with
  // the code before the patch (commit 90a1cfd's parent); that directory is a frozen corpus (histories
  // with numeric Databricks ids) that this script never rewrites.
  'databricks-run-deadline-during-submit': async (client, emulator, workflowId) => {
    await slowSubmit(emulator, 'deadline-submit');
    return runToEnd(client, workflowId, {
      submit: submitSpec('deadline-submit'),
      wait: FAST_POLL,
      timeout: '1s',
    });
  },
  'databricks-run-cancelled-during-submit': async (client, emulator, workflowId) => {
    await slowSubmit(emulator, 'cancelled-submit');
    const handle = await client.workflow.start(databricksRun, {
      taskQueue,
      workflowId,
      args: [{ submit: submitSpec('cancelled-submit'), wait: FAST_POLL, timeout: '1h' }],
    });
    await new Promise((r) => setTimeout(r, 1_000));
    await handle.cancel();
    await handle.result().catch(() => undefined);
  },
  // Capability fallbacks: a workspace that does not serve runs/repair (the whole run is resubmitted),
  // and one that refuses the notification destination (submitted without it and polled).
  'databricks-run-repair-unavailable': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/repair',
      status: 404,
      errorCode: 'ENDPOINT_NOT_FOUND',
      message: "No API found for 'POST /jobs/runs/repair'",
    });
    await control(emulator, 'POST', '/scenarios', {
      match: { runName: 'no-repair' },
      durationMs: 200,
      failTimes: 1,
      terminationCode: 'DRIVER_ERROR',
    });
    await runToEnd(client, workflowId, {
      submit: submitSpec('no-repair'),
      wait: FAST_POLL,
      retry: { maxAttempts: 2, strategy: 'repair', terminationCodes: ['DRIVER_ERROR'] },
    });
    await control(emulator, 'DELETE', '/faults');
  },
  'databricks-run-notifications-refused': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/submit',
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: "Webhook with id 'recorder' was not found.",
      count: 1,
    });
    return runToEnd(client, workflowId, { submit: submitSpec('no-notifications'), wait: { mode: 'auto' } });
  },
  // The gate refusing a train run that ended SUCCESS_WITH_FAILURES (PARTIAL_SUCCESS_GATE_PATCH).
  'ml-pipeline-partial-success': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/scenarios', {
      match: { taskKey: 'data_checks' },
      durationMs: 100,
      result: 'FAILED',
    });
    const pipeline = churnPipeline(false);
    const train = pipeline.train.submit!.tasks[0]!;
    pipeline.train.submit!.tasks = [
      { task_key: 'data_checks', notebook_task: { notebook_path: '/checks' } },
      { ...train, depends_on: [{ task_key: 'data_checks' }], run_if: 'ALL_DONE' },
    ];
    pipeline.evaluate.taskKey = train.task_key;
    await client.workflow.execute(mlPipeline, { taskQueue, workflowId, args: [pipeline] });
  },
  // CANCEL_AFTER_FAILURE_PATCH: runs/get refused (403) after submission; the run is cancelled first.
  'databricks-run-failure-after-submit': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/scenarios', { match: { runName: 'denied' }, durationMs: 60_000 });
    await control(emulator, 'POST', '/faults', {
      method: 'GET',
      path: '/jobs/runs/get',
      status: 403,
      errorCode: 'PERMISSION_DENIED',
      message: 'User does not have Can View permission on run',
      count: 1,
    });
    return runToEnd(client, workflowId, { submit: submitSpec('denied'), wait: FAST_POLL });
  },
  'databricks-run-invalid-input': (client, _emulator, workflowId) =>
    runToEnd(client, workflowId, { jobId: 1, jobName: 'two selectors' } as RunInput),
  // APPROVAL_GATE_PATCH: an approve signal sent while the candidate trains is ignored; the reject sent
  // at the gate decides. (Code from before the patch took the early signal and never waited: its twin,
  // -unpatched in test/histories/before-approval-gate/, was recorded by this scenario with that code.)
  'ml-pipeline-early-approval': async (client, _emulator, workflowId) => {
    const pipeline = { ...churnPipeline(false), approval: { timeout: '5m', onTimeout: 'reject' as const } };
    const handle = await client.workflow.start(mlPipeline, { taskQueue, workflowId, args: [pipeline] });
    await handle.signal('approve', { by: 'too-early' });
    const closed = async () => (await handle.describe()).status.name !== 'RUNNING';
    await until(
      async () => (await closed()) || (await handle.query(pipelineStatusQuery)).awaitingApproval,
      'the approval gate',
    );
    if (!(await closed())) await handle.signal('reject', { by: 'recorder' });
    await handle.result();
  },
  // The orphan reaper: a databricksRun terminated while waiting leaves its run going; one sweep cancels it.
  'orphan-reaper': async (client, emulator, workflowId) => {
    await control(emulator, 'POST', '/scenarios', { match: { runName: 'orphan' }, durationMs: 600_000 });
    const orphan = await client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: `${workflowId}-orphan`,
      args: [{ submit: submitSpec('orphan'), wait: FAST_POLL }],
    });
    await until(
      async () => (await orphan.query(statusQuery)).phase === 'waiting',
      'the run to be waited for',
    );
    await orphan.terminate('recording the orphan reaper');
    const listed = `WorkflowId = '${orphan.workflowId}' AND ExecutionStatus = 'Terminated'`;
    await until(async () => (await client.workflow.count(listed)).count === 1, 'visibility to list it');
    const report = await client.workflow.execute(orphanReaper, { taskQueue, workflowId, args: [{}] });
    if (report.cancelled.length !== 1) throw new Error(`the sweep cancelled ${report.cancelled.length} runs`);
  },
};

/** Polls `check` every 100 ms for up to 60 s. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `npm run histories -- NAME…` re-records only those scenarios. */
const only = process.argv.slice(2);
const cli = resolveTemporalBinary('cli');
console.log(cli.summary);
const cleanup = new Cleanup();
const { env } = await startEphemeralTemporal(cleanup, { cli, uiPort: false });
const emulator = await startEmulator({ pats: [PAT], port: 0, log: () => undefined });
cleanup.add('databricks emulator', () => emulator.close());
const receiver = await startWebhookReceiver({
  client: env.client,
  host: '127.0.0.1',
  port: 0,
  username: 'databricks',
  password: WEBHOOK_PASSWORD,
});
cleanup.add('webhook receiver', () => receiver.close());
try {
  // pipelines/churn.json's model lives in main.ml (Unity Catalog, the default registry).
  await api(emulator, '/api/2.1/unity-catalog/schemas', { catalog_name: 'main', name: 'ml' });
  const destination = await api(emulator, '/api/2.0/notification-destinations', {
    display_name: 'recorder',
    config: { generic_webhook: { url: receiver.url, username: 'databricks', password: WEBHOOK_PASSWORD } },
  });
  const worker = await createLakeloopWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps: {
      workerIdentity: 'recorder',
      workerStartedAt: '2026-01-01T00:00:00.000Z',
      lakeloopVersion: 'recorded',
      databricks: createWorkspaceClient(
        { authType: 'pat', host: emulator.url, token: PAT },
        { requestsPerSecond: 100, burst: 100, timeoutMs: 5_000 },
      ),
      webhookDestinationId: destination.id,
      temporal: env.client,
    },
  });
  await worker.runUntil(async () => {
    for (const [name, run] of Object.entries(scenarios)) {
      if (only.length > 0 && !only.includes(name)) continue;
      await control(emulator, 'DELETE', '/scenarios');
      const workflowId = name;
      await run(env.client, emulator, workflowId);
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      const file = path.join(projectRoot, 'test', 'histories', `${name}.json`);
      await writeFile(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
      console.log(`recorded ${history.events?.length ?? 0} events → ${path.relative(projectRoot, file)}`);
    }
  });
} finally {
  await cleanup.stop();
}

/**
 * Webhook mode end to end: the emulator delivers Databricks job notifications (HTTP Basic auth) to
 * Lakeloop's receiver, which signals the waiting workflow. Asserted from the emulator's stats.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunInput } from '../../src/shared/run-input.js';
import type { WebhookReceiver } from '../../src/webhooks/receiver.js';
import { databricksRun } from '../../src/workflows/index.js';
import { waitFor, type TestEmulator } from '../emulator/helpers.js';
import {
  requestCounts,
  runsCreated,
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '../helpers/workspace.js';

const USER = 'databricks';
const PASSWORD = `webhook-secret-${Math.random().toString(36).slice(2)}`;

function spec(runName: string, wait: RunInput['wait']): RunInput {
  return {
    submit: { run_name: runName, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
    wait,
  };
}

describe('webhook mode', () => {
  let harness: WorkspaceHarness;
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let receiver: WebhookReceiver;
  let taskQueue: string;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({
      name: 'webhook',
      receiver: { username: USER, password: PASSWORD, lookupTimeoutMs: 1_000 },
    });
    ({ env, emulator, taskQueue } = harness);
    receiver = harness.receiver!;
  });
  afterAll(() => harness?.close());

  // Not /reset: it would forget the destination the worker was configured with. Tests compare deltas.
  beforeEach(async () => {
    await emulator.control('DELETE', '/faults');
    await emulator.control('DELETE', '/scenarios');
  });

  async function runsGets(): Promise<number> {
    return (await requestCounts(emulator))['GET /api/*/jobs/runs/get'] ?? 0;
  }

  function execute(input: RunInput) {
    return env.client.workflow.execute(databricksRun, {
      taskQueue,
      workflowId: `webhook-${Math.random().toString(36).slice(2)}`,
      args: [input],
    });
  }

  test('a run is observed terminated with no runs/get poll before the notification', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'notified' }, durationMs: 800 });
    const before = {
      signalled: receiver.stats().signalled,
      directory: receiver.lookups().directory,
      gets: await runsGets(),
      runs: await runsCreated(emulator),
    };
    const workflowId = `webhook-notified-${Date.now()}`;
    const result = await env.client.workflow.execute(databricksRun, {
      taskQueue,
      workflowId,
      args: [spec('notified', { mode: 'auto' })],
    });
    expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'webhook' });
    // One runs/get confirms the notification (its tasks give the outputs to fetch); nothing polled.
    // The patch marker is recorded when the notification beat the wait (a busy machine) or when the
    // submission took over 3 s — only then may the safety net's early look add one runs/get.
    const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const marked = events.some((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['patch_data']?.payloads?.[0]?.data;
      return data && Buffer.from(data).toString('utf8').includes('webhook-notifications-before-wait');
    });
    const gets = (await runsGets()) - before.gets;
    if (marked) expect([1, 2]).toContain(gets);
    else expect(gets).toBe(1);
    expect(receiver.stats().signalled - before.signalled).toBe(1); // on_success (on_start is acknowledged, not forwarded)
    // Routed by the worker's run directory, written when runs/submit answered: it does not depend on
    // the workflow's search attribute becoming visible within the receiver's (here 1 s) lookup window.
    expect(receiver.lookups().directory - before.directory).toBe(1);
    expect((await runsCreated(emulator)) - before.runs).toBe(1);
  });

  test('with every notification dropped, the safety-net poll still completes the run', async () => {
    await emulator.control('POST', '/faults', { webhook: 'drop' });
    await emulator.control('POST', '/scenarios', { match: { runName: 'dropped' }, durationMs: 300 });
    const before = { signalled: receiver.stats().signalled, runs: await runsCreated(emulator) };
    const result = await execute(spec('dropped', { mode: 'webhook', safetyNetInterval: '1s' }));
    expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'webhook' });
    expect(receiver.stats().signalled - before.signalled).toBe(0);
    expect((await runsCreated(emulator)) - before.runs).toBe(1);
  });

  test('duplicated notifications are harmless', async () => {
    await emulator.control('POST', '/faults', { webhook: 'duplicate' });
    await emulator.control('POST', '/scenarios', { match: { runName: 'duplicated' }, durationMs: 300 });
    const stats = () => receiver.stats();
    const before = { ...stats(), runs: await runsCreated(emulator) };
    const result = await execute(spec('duplicated', { mode: 'webhook' }));
    expect(result.outcome).toBe('SUCCESS');
    // on_success, twice: both signalled — or the second found the workflow already closed (a slow
    // machine can deliver it after the first ended the wait), which the receiver answers as unknown.
    const delta = (key: 'signalled' | 'unknown-run') => stats()[key] - before[key];
    await waitFor(
      async () => delta('signalled') + delta('unknown-run'),
      (n) => n >= 2,
      { timeoutMs: 15_000, what: 'both deliveries to be answered' },
    );
    expect(delta('signalled')).toBeGreaterThanOrEqual(1);
    expect(delta('signalled') + delta('unknown-run')).toBe(2);
    expect((await runsCreated(emulator)) - before.runs).toBe(1);
  });

  // Found by the chaos test (test/stress/chaos.test.ts): both waited for the safety net, an hour here.
  test('a run that ended while its submission was being retried is looked at once, not after the safety net', async () => {
    // Three submits reach the workspace but their answers are lost: the run exists, and ends, seconds
    // before the workflow records its id, so the receiver finds no workflow for its notification.
    await emulator.control('POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/submit',
      dropResponse: true,
      count: 3,
    });
    await emulator.control('POST', '/scenarios', { match: { runName: 'slow-submit' }, durationMs: 0 });
    const before = { unknown: receiver.stats()['unknown-run'], runs: await runsCreated(emulator) };
    const result = await execute(spec('slow-submit', { mode: 'webhook', safetyNetInterval: '1h' }));
    expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'webhook' });
    expect(receiver.stats()['unknown-run'] - before.unknown).toBe(1); // its on_success, too early
    expect((await runsCreated(emulator)) - before.runs).toBe(1);
  });

  test('a repaired run that ends before runs/repair has answered is confirmed at once, not after the safety net', async () => {
    // The repair is done but its answer is lost; the repaired task ends at once and its notification
    // arrives while the workflow is still retrying runs/repair.
    await emulator.control('POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/repair',
      dropResponse: true,
      count: 1,
    });
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'quick-repair' },
      durationMs: 0,
      failTimes: 1,
      terminationCode: 'DRIVER_ERROR',
    });
    const before = receiver.stats().signalled;
    const result = await execute({
      ...spec('quick-repair', { mode: 'webhook', safetyNetInterval: '1h' }),
      retry: { maxAttempts: 2, strategy: 'repair' },
    });
    expect(result).toMatchObject({ outcome: 'SUCCESS', repairs: 1 });
    expect(result.attempts.map((a) => a.kind)).toEqual(['submit', 'repair']);
    expect(receiver.stats().signalled - before).toBe(2); // on_failure, then the repaired run's on_success
  });

  test('the receiver rejects bad credentials, bad bodies and oversized bodies, and acknowledges unknown runs', async () => {
    const post = (body: string, auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`) =>
      fetch(receiver.url, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body,
      });
    const valid = JSON.stringify({
      event_type: 'jobs.on_success',
      run: { run_id: '424242' },
      job: { job_id: '1', name: 'x' },
    });
    expect((await post(valid, `Basic ${Buffer.from(`${USER}:wrong`).toString('base64')}`)).status).toBe(401);
    expect((await post(valid, '')).status).toBe(401);
    expect((await post('{not json')).status).toBe(400);
    expect((await post(JSON.stringify({ event_type: 'jobs.on_success', run: {} }))).status).toBe(400);
    expect((await post('x'.repeat(70 * 1024))).status).toBe(413);
    const unknown = await post(valid);
    expect(unknown.status).toBe(202);
    expect(await unknown.json()).toMatchObject({ status: 'unknown-run', runId: '424242' });
  });
});

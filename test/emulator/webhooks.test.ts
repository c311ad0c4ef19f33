import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestEmulator } from './helpers.js';
import { createJob, runNow, startTestEmulator, submit, task, waitFor, waitForTerminal } from './helpers.js';

interface Received {
  authorization: string | undefined;
  contentType: string | undefined;
  body: any;
  at: number;
}

/** A real HTTP receiver on loopback that records deliveries and can answer 500 a few times first. */
class Receiver {
  readonly received: Received[] = [];
  failNext = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.failNext > 0) {
          this.failNext--;
          res.writeHead(500).end();
          return;
        }
        this.received.push({
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          at: Date.now(),
        });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  events(): string[] {
    return this.received.map((r) => r.body.event_type);
  }
}

describe('notification destinations API', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });

  test('create, get, list, patch and delete a generic webhook; secrets never come back', async () => {
    const created = await emu.api('POST', '/api/2.0/notification-destinations', {
      display_name: 'lakeloop receiver',
      config: {
        generic_webhook: { url: 'http://127.0.0.1:9/hook', username: 'lakeloop', password: 's3cret' },
      },
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      display_name: 'lakeloop receiver',
      destination_type: 'WEBHOOK',
      config: { generic_webhook: { url_set: true, username_set: true, password_set: true } },
    });
    const id = created.body.id as string;
    expect(JSON.stringify(created.body)).not.toContain('s3cret');

    const fetched = await emu.api('GET', `/api/2.0/notification-destinations/${id}`);
    expect(fetched.body).toEqual(created.body);
    const listed = await emu.api('GET', '/api/2.0/notification-destinations');
    expect(listed.body.results).toEqual([
      { id, display_name: 'lakeloop receiver', destination_type: 'WEBHOOK' },
    ]);

    const patched = await emu.api('PATCH', `/api/2.0/notification-destinations/${id}`, {
      display_name: 'renamed',
      config: { generic_webhook: { username: 'other' } },
    });
    expect(patched.body).toMatchObject({
      display_name: 'renamed',
      config: { generic_webhook: { url_set: true, username_set: true, password_set: true } },
    });
    const typeChange = await emu.api('PATCH', `/api/2.0/notification-destinations/${id}`, {
      config: { slack: { url: 'https://hooks.slack.com/x' } },
    });
    expect(typeChange.status).toBe(400);

    expect((await emu.api('DELETE', `/api/2.0/notification-destinations/${id}`)).status).toBe(200);
    const gone = await emu.api('GET', `/api/2.0/notification-destinations/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    // Only API 2.0 has this resource.
    expect((await emu.api('GET', '/api/2.1/notification-destinations')).status).toBe(404);
  });

  test('a destination needs exactly one config, and a generic webhook needs a URL', async () => {
    const none = await emu.api('POST', '/api/2.0/notification-destinations', { display_name: 'x' });
    expect(none.status).toBe(400);
    const noUrl = await emu.api('POST', '/api/2.0/notification-destinations', {
      config: { generic_webhook: {} },
    });
    expect(noUrl.body.message).toBe('Missing required field: config.generic_webhook.url');
    const badUrl = await emu.api('POST', '/api/2.0/notification-destinations', {
      config: { generic_webhook: { url: 'ftp://x' } },
    });
    expect(badUrl.status).toBe(400);
  });
});

describe('webhook delivery', () => {
  let emu: TestEmulator;
  let receiver: Receiver;
  let destination: string;

  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    emu = await startTestEmulator({
      defaultTaskDurationMs: 50,
      webhookInitialBackoffMs: 20,
      webhookMaxAttempts: 4,
    });
  });
  afterAll(async () => {
    await emu.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
    receiver.received.length = 0;
    receiver.failNext = 0;
    const created = await emu.api('POST', '/api/2.0/notification-destinations', {
      display_name: 'receiver',
      config: { generic_webhook: { url: receiver.url, username: 'hook-user', password: 'hook-pass' } },
    });
    destination = created.body.id;
  });

  const notifyAll = (): Record<string, unknown> => ({
    on_start: [{ id: destination }],
    on_success: [{ id: destination }],
    on_failure: [{ id: destination }],
  });
  const basic = `Basic ${Buffer.from('hook-user:hook-pass').toString('base64')}`;
  /**
   * The receiver holds a delivery before the emulator has read the receiver's answer and counted it
   * as sent; wait for the counters to catch up instead of reading them once.
   */
  const settledWebhookStats = (done: (webhooks: any) => boolean): Promise<any> =>
    waitFor(async () => (emu.handle.stats() as any).webhooks, done, {
      timeoutMs: 5_000,
      what: 'webhook stats',
    });

  test('a job run sends jobs.on_start then jobs.on_success with the documented payload and Basic auth', async () => {
    const jobId = await createJob(emu, {
      name: 'notified',
      tasks: [task('t')],
      webhook_notifications: notifyAll(),
    });
    const runId = await runNow(emu, { job_id: jobId });
    const run = await waitForTerminal(emu, runId);
    await waitFor(
      async () => receiver.received.length,
      (n) => n >= 2,
      { what: 'two deliveries' },
    );

    // Both are sent as they happen, concurrently, 50 ms apart: a stalled machine may deliver them in
    // either order (Databricks promises no order either).
    expect([...receiver.events()].sort()).toEqual(['jobs.on_start', 'jobs.on_success']);
    for (const delivery of receiver.received) {
      expect(delivery.authorization).toBe(basic);
      expect(delivery.contentType).toBe('application/json');
    }
    const success = receiver.received.find(
      (d) => (d.body as { event_type?: string }).event_type === 'jobs.on_success',
    )!;
    expect(success.body).toEqual({
      event_type: 'jobs.on_success',
      workspace_id: emu.handle.workspaceId,
      run: { run_id: String(runId) },
      job: { job_id: String(jobId), name: 'notified' },
    });
    expect(await settledWebhookStats((w) => w.sent >= 2)).toMatchObject({ sent: 2, failed: 0 });
    // Delivered after the run was visibly terminal: a receiver that calls runs/get sees the result.
    expect(success.at).toBeGreaterThanOrEqual((await emu.control('GET', `/runs/${runId}`)).ended_at_ms);
    expect(run.state.result_state).toBe('SUCCESS');
  });

  test('failures send jobs.on_failure; SUCCESS_WITH_FAILURES counts as success; task-level hooks carry the task', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'bad' }, durationMs: 30, result: 'FAILED' });
    const failed = await submit(emu, {
      run_name: 'fails',
      tasks: [task('bad')],
      webhook_notifications: notifyAll(),
    });
    await waitForTerminal(emu, failed);
    const mixed = await submit(emu, {
      run_name: 'mixed',
      tasks: [
        task('bad'),
        task('fallback', ['bad'], {
          run_if: 'AT_LEAST_ONE_FAILED',
          webhook_notifications: { on_success: [{ id: destination }] },
        }),
      ],
      webhook_notifications: { on_success: [{ id: destination }], on_failure: [{ id: destination }] },
    });
    const mixedRun = await waitForTerminal(emu, mixed);
    expect(mixedRun.state.result_state).toBe('SUCCESS_WITH_FAILURES');
    await waitFor(
      async () => receiver.received.length,
      (n) => n >= 4,
      { what: 'four deliveries' },
    );

    const bodies = receiver.received.map((r) => r.body);
    expect(bodies.filter((b) => b.run.run_id === String(failed)).map((b) => b.event_type)).toEqual([
      'jobs.on_start',
      'jobs.on_failure',
    ]);
    const runLevel = bodies.filter((b) => b.run.run_id === String(mixed));
    expect(runLevel.map((b) => b.event_type)).toEqual(['jobs.on_success']);
    const fallbackRunId = mixedRun.tasks.find((t: any) => t.task_key === 'fallback').run_id;
    expect(bodies.find((b) => b.task)).toEqual({
      event_type: 'jobs.on_success',
      workspace_id: emu.handle.workspaceId,
      run: { run_id: String(fallbackRunId), parent_run_id: String(mixed) },
      job: { job_id: String(mixedRun.job_id), name: 'mixed' },
      task: { task_key: 'fallback' },
    });
  });

  test('deliveries are retried with backoff until the receiver accepts them', async () => {
    receiver.failNext = 2;
    const runId = await submit(emu, {
      tasks: [task('t')],
      webhook_notifications: { on_success: [{ id: destination }] },
    });
    await waitForTerminal(emu, runId);
    await waitFor(
      async () => receiver.received.length,
      (n) => n >= 1,
      { what: 'the retried delivery' },
    );
    expect(receiver.events()).toEqual(['jobs.on_success']);
    expect(await settledWebhookStats((w) => w.sent >= 1)).toMatchObject({ sent: 1, failed: 0, retried: 2 });
  });

  test('a receiver that never accepts is counted as failed after the last attempt', async () => {
    receiver.failNext = 100;
    const runId = await submit(emu, {
      tasks: [task('t')],
      webhook_notifications: { on_success: [{ id: destination }] },
    });
    await waitForTerminal(emu, runId);
    const stats = await waitFor(
      async () => (emu.handle.stats() as any).webhooks,
      (w) => w.failed === 1,
      { what: 'the delivery to fail' },
    );
    expect(stats).toMatchObject({ sent: 0, failed: 1, retried: 3 });
    expect(receiver.failNext).toBe(100 - 4);
  });

  test('webhook faults drop, duplicate and delay deliveries', async () => {
    const hooks = { on_success: [{ id: destination }] };
    await emu.control('POST', '/faults', { webhook: 'drop', count: 1 });
    await waitForTerminal(
      emu,
      await submit(emu, { run_name: 'dropped', tasks: [task('t')], webhook_notifications: hooks }),
    );
    await emu.control('POST', '/faults', { webhook: 'duplicate', count: 1 });
    await waitForTerminal(
      emu,
      await submit(emu, { run_name: 'twice', tasks: [task('t')], webhook_notifications: hooks }),
    );
    await waitFor(
      async () => receiver.received.length,
      (n) => n >= 2,
      { what: 'the duplicated delivery' },
    );
    expect(receiver.received.map((r) => r.body.job.name)).toEqual(['twice', 'twice']);

    await emu.control('POST', '/faults', { webhook: 'delay', delayMs: 400, count: 1 });
    const delayed = await submit(emu, { run_name: 'late', tasks: [task('t')], webhook_notifications: hooks });
    await waitForTerminal(emu, delayed);
    const endedAt = (await emu.control('GET', `/runs/${delayed}`)).ended_at_ms as number;
    await waitFor(
      async () => receiver.received.length,
      (n) => n >= 3,
      { what: 'the delayed delivery' },
    );
    expect(receiver.received[2]!.body.job.name).toBe('late');
    expect(receiver.received[2]!.at - endedAt).toBeGreaterThanOrEqual(400);
    expect(await settledWebhookStats((w) => w.sent >= 3)).toMatchObject({
      sent: 3,
      dropped: 1,
      duplicated: 1,
    });
  });

  test('--webhook-ids number sends numeric ids', async () => {
    const numeric = await startTestEmulator({ webhookIdFormat: 'number', defaultTaskDurationMs: 20 });
    try {
      const created = await numeric.api('POST', '/api/2.0/notification-destinations', {
        config: { generic_webhook: { url: receiver.url } },
      });
      const runId = await submit(numeric, {
        tasks: [task('t')],
        webhook_notifications: { on_start: [{ id: created.body.id }] },
      });
      await waitFor(
        async () => receiver.received.length,
        (n) => n >= 1,
        { what: 'a delivery' },
      );
      expect(receiver.received[0]!.body.run).toEqual({ run_id: runId });
      expect(receiver.received[0]!.authorization).toBeUndefined();
    } finally {
      await numeric.close();
    }
  });
});

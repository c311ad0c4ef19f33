/**
 * `npm run webhooks` — the receiver on its own, as deployed at the edge — configured only through its
 * environment: it must log structured JSON and count deliveries on LAKELOOP_METRICS_ADDR like the
 * worker does, and never log the Basic-auth password.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, test } from '@jest/globals';
import { freePort } from '../../scripts/lib/processes.js';
import { NOTIFICATIONS_PATH } from '../../src/webhooks/receiver.js';
import { recordTestSecret } from '../helpers/secrets-ledger.js';
import { startLakeloopProcess } from '../helpers/worker-process.js';

const PASSWORD = 'receiver-process-password-7f3a';

describe('standalone webhook receiver process', () => {
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('serves delivery counters and JSON logs, exits 0 on SIGTERM', async () => {
    const webhookPort = await freePort();
    const metricsPort = await freePort();
    recordTestSecret('the standalone receiver password', PASSWORD);
    const receiver = await startLakeloopProcess(
      'standalone webhook receiver process',
      'src/webhooks/main.ts',
      {
        LAKELOOP_LOG_FORMAT: 'json',
        LAKELOOP_LOG_LEVEL: 'INFO',
        LAKELOOP_WEBHOOK_HOST: '127.0.0.1',
        LAKELOOP_WEBHOOK_PORT: String(webhookPort),
        LAKELOOP_WEBHOOK_USERNAME: 'databricks',
        LAKELOOP_WEBHOOK_PASSWORD: PASSWORD,
        LAKELOOP_METRICS_ADDR: `127.0.0.1:${metricsPort}`,
      },
      'lakeloop webhook receiver listening',
    );
    child = receiver.child;

    const url = `http://127.0.0.1:${webhookPort}${NOTIFICATIONS_PATH}`;
    const body = JSON.stringify({ event_type: 'jobs.on_success', run: { run_id: 987_654_321 } });
    const good = `Basic ${Buffer.from(`databricks:${PASSWORD}`).toString('base64')}`;
    const bad = `Basic ${Buffer.from('databricks:wrong').toString('base64')}`;
    const post = (authorization: string, payload = body) =>
      fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: payload,
      });
    expect((await post(good)).status).toBe(202); // no workflow waits on that run
    expect((await post(bad)).status).toBe(401);
    expect((await post(good, '{not json')).status).toBe(400);

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^lakeloop_webhook_deliveries_total\{outcome="unknown-run"\} 1$/m);
    expect(metrics).toMatch(/^lakeloop_webhook_deliveries_total\{outcome="unauthorized"\} 1$/m);
    expect(metrics).toMatch(/^lakeloop_webhook_deliveries_total\{outcome="malformed"\} 1$/m);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const output = receiver.output();
    const records = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          message: 'lakeloop webhook receiver listening',
          component: 'webhook-receiver',
        }),
      ]),
    );
    expect(output).not.toContain(PASSWORD);
  });
});

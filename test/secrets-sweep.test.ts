/**
 * Proof that the suite-wide secrets sweep (run by the global teardown) can fail: secrets planted in a
 * workflow's input, a schedule's action, a captured output file and a bench result are each found,
 * through the same listing, history fetching, decoding and file scanning as the real sweep — against
 * a ledger of its own, so the planted values never reach the run's ledger.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { waitFor } from './emulator/helpers.js';
import { SECRETS_DIR_ENV, openTestOutput, recordTestSecret } from './helpers/secrets-ledger.js';
import { connectToTestServer, uniqueTaskQueue } from './helpers/temporal.js';
import { assertNoLeaks, sweepTestRun } from './setup/secrets-sweep-run.js';

describe('secrets sweep self-check', () => {
  let env: TestWorkflowEnvironment;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-sweep-check-'));
  const ledger = path.join(scratch, 'ledger');
  const benchDir = path.join(scratch, 'bench-results');
  const workflowId = `sweep-check-${randomUUID()}`;
  const scheduleId = `sweep-check-${randomUUID()}`;
  const inInput = `planted-input-${randomUUID()}`;
  const inSchedule = `planted-schedule-${randomUUID()}`;
  const inOutput = `planted-output-${randomUUID()}`;
  const inBench = `planted-bench-${randomUUID()}`;
  const unleaked = `planted-nowhere-${randomUUID()}`;

  beforeAll(async () => {
    env = await connectToTestServer();
  });
  afterAll(async () => {
    await env?.client.workflow
      .getHandle(workflowId)
      .terminate('sweep self-check done')
      .catch(() => undefined);
    await env?.client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await env?.teardown();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('finds planted secrets in a history, a schedule, an output file and a bench result', async () => {
    // Nothing polls this queue: the start event alone holds the input.
    const taskQueue = uniqueTaskQueue('sweep-check');
    await env.client.workflow.start('databricksRun', {
      workflowId,
      taskQueue,
      args: [{ jobId: 1, jobParameters: { token: inInput } }],
    });
    await env.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 day' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'databricksRun',
        taskQueue,
        args: [{ note: inSchedule }],
      },
      state: { paused: true },
    });

    mkdirSync(ledger);
    const saved = process.env[SECRETS_DIR_ENV];
    process.env[SECRETS_DIR_ENV] = ledger;
    try {
      for (const value of [inInput, inSchedule, inOutput, inBench, unleaked])
        recordTestSecret('planted', value);
      recordTestSecret('too short to search for', 'short');
      openTestOutput('a planted output')(`first line\nsecond line with ${inOutput}\n`);
    } finally {
      if (saved === undefined) delete process.env[SECRETS_DIR_ENV];
      else process.env[SECRETS_DIR_ENV] = saved;
    }
    mkdirSync(benchDir);
    writeFileSync(path.join(benchDir, 'quick.json'), `{\n  "note": "${inBench}"\n}\n`);

    const query = `WorkflowId IN ('${workflowId}', 'temporal-sys-scheduler:${scheduleId}')`;
    // Visibility is updated asynchronously after a start.
    const summary = await waitFor(
      () => sweepTestRun(env, ledger, { query, benchResultsDir: benchDir }),
      (s) => s.histories === 2,
      { what: 'both planted workflows to be visible', intervalMs: 200 },
    );
    expect(summary).toMatchObject({
      workflows: 2,
      histories: 2,
      outputFiles: 1,
      benchFiles: 1,
      ignoredShort: 1,
    });
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(summary.leaks.map(({ where }) => where)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^history of ${escape(workflowId)} \\(run [\\w-]+\\)$`)),
        expect.stringMatching(
          new RegExp(`^history of temporal-sys-scheduler:${escape(scheduleId)} \\(run [\\w-]+\\)$`),
        ),
        expect.stringMatching(
          /^output of a planted output in test\/secrets-sweep\.test\.ts \[a-planted-output-\d+-\d+\.log\] line 3$/,
        ),
        expect.stringMatching(/quick\.json line 2$/),
      ]),
    );
    expect(summary.leaks).toHaveLength(4);
    expect(summary.leaks.every((l) => l.label.startsWith('planted'))).toBe(true);
    let message = '';
    try {
      assertNoLeaks(summary);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^secrets sweep: 4 leak\(s\) found:/);
    for (const value of [inInput, inSchedule, inOutput, inBench]) expect(message).not.toContain(value);
  });
});

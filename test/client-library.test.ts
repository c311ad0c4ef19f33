/**
 * lakeloop/client's start helpers against the suite's real dev server: input the workflow's schema
 * rejects is refused before anything starts, and a valid one starts the workflow Lakeloop's CLI would
 * (same type, summary and search attribute). The full path — a worker of another project running it —
 * is test/package/package.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { InvalidInputError, startDatabricksRun, startPipeline } from '../src/library/client.js';
import { connectToTestServer, uniqueTaskQueue } from './helpers/temporal.js';

describe('lakeloop/client', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectToTestServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  test('startDatabricksRun refuses invalid input with each problem named, and starts nothing', async () => {
    const taskQueue = uniqueTaskQueue('client-invalid');
    const workflowId = `invalid-${taskQueue}`;
    const refused = await startDatabricksRun(
      env.client,
      { jobId: '12', wait: { mode: 'sometimes' as 'poll' } },
      { taskQueue, workflowId },
    ).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as InvalidInputError).problems).toEqual([expect.stringMatching(/^wait\.mode: /)]);
    expect((refused as Error).message).toMatch(/^invalid databricksRun input: wait\.mode: /);
    await expect(env.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
  });

  test('startPipeline refuses an invalid definition', async () => {
    const refused = await startPipeline(
      env.client,
      { name: 'churn' } as Parameters<typeof startPipeline>[1],
      { taskQueue: uniqueTaskQueue('client-invalid-pipeline') },
    ).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as Error).message).toMatch(/^invalid pipeline definition: /);
  });

  test('a valid input starts databricksRun on the given queue, with the summary the CLI gives it', async () => {
    const taskQueue = uniqueTaskQueue('client-valid');
    const handle = await startDatabricksRun(env.client, { jobName: 'nightly-train' }, { taskQueue });
    try {
      expect(handle.workflowId).toMatch(/^databricks-run-[0-9a-f-]{36}$/);
      const description = await handle.describe();
      expect(description).toMatchObject({ type: 'databricksRun', taskQueue, status: { name: 'RUNNING' } });
      expect(await description.staticSummary()).toContain('nightly-train');
    } finally {
      // No worker serves this queue: nothing was submitted to any workspace.
      await handle.terminate('test done');
    }
  });
});

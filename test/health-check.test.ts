import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { healthCheck } from '../src/workflows/index.js';
import {
  connectToTestServer,
  createTestWorker,
  testActivityDeps,
  uniqueTaskQueue,
} from './helpers/temporal.js';

describe('healthCheck on a real dev server and worker', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await connectToTestServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  test('runs the workflow and its activity in the worker, and records both in history', async () => {
    const taskQueue = uniqueTaskQueue('health');
    const deps = testActivityDeps({ workerIdentity: 'worker-under-test' });
    const worker = await createTestWorker(env, taskQueue, deps);
    const workflowId = `health-${taskQueue}`;

    const result = await worker.runUntil(
      env.client.workflow.execute(healthCheck, { taskQueue, workflowId, args: [{ requestedBy: 'jest' }] }),
    );

    expect(result).toEqual({
      workflowId,
      requestedBy: 'jest',
      worker: {
        identity: 'worker-under-test',
        taskQueue,
        startedAt: deps.workerStartedAt,
        lakeloopVersion: 'test',
        nodeVersion: process.version,
      },
    });
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const eventTypes = (history.events ?? []).map((e) => e.eventType);
    // The activity really ran through the server (scheduled, started, completed), not in-process.
    expect(eventTypes.filter((t) => t !== undefined && t !== null).length).toBeGreaterThanOrEqual(11);
    const activityEvents = (history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes);
    expect(activityEvents).toHaveLength(1);
  });
});

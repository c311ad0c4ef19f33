import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities, WorkerDescription } from '../activities/index.js';

/** The input of the healthCheck workflow. */
export interface HealthCheckInput {
  /** Who asked, for the history (e.g. "demo", "lakeloop doctor"). */
  requestedBy: string;
}

/** What the healthCheck workflow returns: the worker that ran its activity. */
export interface HealthCheckResult {
  workflowId: string;
  requestedBy: string;
  worker: WorkerDescription;
}

const { describeWorker } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * Proves the whole path works: a client reaches Temporal, a worker picks up the workflow task, and
 * an activity runs in that worker. `lakeloop doctor` and the demo use it before real work starts.
 */
export async function healthCheck(input: HealthCheckInput): Promise<HealthCheckResult> {
  const worker = await describeWorker();
  return { workflowId: workflowInfo().workflowId, requestedBy: input.requestedBy, worker };
}

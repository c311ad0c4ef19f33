import { randomUUID } from 'node:crypto';
import { healthCheckDetails } from '../../shared/ui-details.js';
import type { healthCheck, HealthCheckResult } from '../../workflows/index.js';
import type { LakeloopClient } from '../connect.js';

export interface DoctorOptions {
  /** How long to wait for a worker to pick the check up before giving a clear answer. */
  timeoutSeconds: number;
  requestedBy: string;
}

/**
 * Runs the healthCheck workflow end to end: proves the client reaches Temporal and a Lakeloop worker
 * is polling the task queue. A run timeout turns "no worker" into a clear error instead of a hang.
 */
export async function runDoctor(
  lakeloop: LakeloopClient,
  options: DoctorOptions,
): Promise<HealthCheckResult> {
  const workflowId = `lakeloop-doctor-${randomUUID()}`;
  try {
    return await lakeloop.client.workflow.execute<typeof healthCheck>('healthCheck', {
      taskQueue: lakeloop.taskQueue,
      workflowId,
      args: [{ requestedBy: options.requestedBy }],
      workflowExecutionTimeout: `${options.timeoutSeconds}s`,
      staticSummary: `Lakeloop health check, requested by ${options.requestedBy}`,
      staticDetails: healthCheckDetails(options.requestedBy),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new Error(
      `no Lakeloop worker completed the health check on task queue "${lakeloop.taskQueue}" within ` +
        `${options.timeoutSeconds}s (${cause ?? (err as Error).message}); is \`npm run worker\` running?`,
    );
  }
}

export function formatHealthCheck(result: HealthCheckResult): string {
  return [
    `workflow    ${result.workflowId}`,
    `worker      ${result.worker.identity} (lakeloop ${result.worker.lakeloopVersion}, node ${result.worker.nodeVersion})`,
    `task queue  ${result.worker.taskQueue}`,
    `started     ${result.worker.startedAt}`,
  ].join('\n');
}

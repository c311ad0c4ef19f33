import { activityInfo } from '@temporalio/activity';

/** What each activity needs from the worker process; tests pass real objects pointed at local servers. */
export interface ActivityDeps {
  /** The worker's Temporal identity (e.g. "1234@host"), as shown in the Temporal UI. */
  workerIdentity: string;
  /** When the worker process started (ISO 8601). */
  workerStartedAt: string;
  lakeloopVersion: string;
}

export interface WorkerDescription {
  identity: string;
  taskQueue: string;
  startedAt: string;
  lakeloopVersion: string;
  nodeVersion: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    /** Describes the worker that ran this activity; contains no configuration values or secrets. */
    async describeWorker(): Promise<WorkerDescription> {
      return {
        identity: deps.workerIdentity,
        taskQueue: activityInfo().taskQueue,
        startedAt: deps.workerStartedAt,
        lakeloopVersion: deps.lakeloopVersion,
        nodeVersion: process.version,
      };
    },
  };
}

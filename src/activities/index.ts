import { activityInfo } from '@temporalio/activity';
import type { DatabricksHttpClient } from '../databricks/http.js';
import { describeIdentity, type IdentityDescription } from './describe-identity.js';

export type { IdentityDescription } from './describe-identity.js';

/** What each activity needs from the worker process; tests pass real objects pointed at local servers. */
export interface ActivityDeps {
  /** The worker's Temporal identity (e.g. "1234@host"), as shown in the Temporal UI. */
  workerIdentity: string;
  /** When the worker process started (ISO 8601). */
  workerStartedAt: string;
  lakeloopVersion: string;
  /** The workspace client (token layer inside); absent only in workers that run no Databricks work. */
  databricks?: DatabricksHttpClient;
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

    /** The design card's "token exchange" step: returns who we are to Databricks, never the token. */
    async describeIdentity(): Promise<IdentityDescription> {
      return describeIdentity(deps.databricks);
    },
  };
}

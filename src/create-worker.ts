import type { NativeConnection } from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { workflowsPath } from './workflows-path.js';

export interface LakeloopWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A pre-built bundle (container image, test suites); otherwise the workflows are bundled now. */
  workflowBundlePath?: string;
  shutdownGraceSeconds?: number;
  /** Test and benchmark knobs passed straight to Worker.create. */
  overrides?: Partial<WorkerOptions>;
}

/** Creates the one worker that hosts both Lakeloop's workflows and its activities. */
export async function createLakeloopWorker(options: LakeloopWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    identity: options.deps.workerIdentity,
    activities: createActivities(options.deps),
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: workflowsPath() }),
    shutdownGraceTime: `${options.shutdownGraceSeconds ?? 30}s`,
    ...options.overrides,
  });
}

import type { PayloadCodec } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { Worker, type WorkerDeploymentOptions, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import type { WorkerDeploymentSettings } from './config/deployment.js';
import type { LineageEmitter } from './lineage/openlineage/emitter.js';
import { lineageSinks } from './lineage/openlineage/sinks.js';
import { workerTracingInterceptors, workflowSpanSinks, type Tracing } from './observability/tracing.js';
import { workflowInterceptorModules, workflowsPath } from './workflows-path.js';

/** Options of {@link createLakeloopWorker}. */
export interface LakeloopWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A pre-built bundle (container image, test suites); otherwise the workflows are bundled now. */
  workflowBundlePath?: string;
  shutdownGraceSeconds?: number;
  /** Started tracing (src/observability/tracing.ts); undefined: tracing is off. */
  tracing?: Tracing;
  /** Encrypts and decrypts every payload the worker exchanges with Temporal (src/codec); undefined: none. */
  payloadCodec?: PayloadCodec;
  /**
   * Where the workflows' OpenLineage run events go (`lineageEmitterFor(config.openLineage, …)`);
   * undefined: lineage is off. Close it after the worker stops, so queued events go out.
   */
  lineage?: LineageEmitter;
  /** Workflows cached between tasks (LAKELOOP_MAX_CACHED_WORKFLOWS); undefined: the SDK's default. */
  maxCachedWorkflows?: number;
  /**
   * This worker's Worker Deployment Version (LAKELOOP_DEPLOYMENT_NAME, LAKELOOP_BUILD_ID,
   * LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR); undefined: an unversioned worker.
   */
  deployment?: WorkerDeploymentSettings;
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
    interceptors: {
      ...workerTracingInterceptors(options.tracing),
      // Workflow spans only when tracing is on; a pre-built bundle has them or not from its build
      // (src/worker.ts picks the .tracing.js twin when tracing is on).
      ...(options.workflowBundlePath || !options.tracing
        ? {}
        : { workflowModules: workflowInterceptorModules() }),
    },
    sinks: { ...workflowSpanSinks(options.tracing), ...lineageSinks(options.lineage) },
    ...(options.payloadCodec ? { dataConverter: { payloadCodecs: [options.payloadCodec] } } : {}),
    shutdownGraceTime: `${options.shutdownGraceSeconds ?? 30}s`,
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    ...(options.deployment ? { workerDeploymentOptions: workerDeploymentOptions(options.deployment) } : {}),
    ...options.overrides,
  });
}

/**
 * The SDK's options for a versioned worker. Lakeloop's workflow types declare no behaviour of their
 * own (setWorkflowOptions), so the worker's default applies to all of them and the operator chooses
 * it at deploy time: whether a build may take over runs that started on an older one is a property
 * of the build (did its workflow changes go behind patched()?), not of a workflow type. Declaring one
 * would also break unversioned workers: with SDK 1.24 and server 1.32 the server then refuses every
 * workflow task completion ("versioning behavior cannot be specified without deployment options
 * being set with versioned mode" — seen in test/workflows/webhook-receivers.test.ts when
 * webhookReceivers declared AUTO_UPGRADE; also reported in temporalio/sdk-typescript#1679).
 */
export function workerDeploymentOptions(settings: WorkerDeploymentSettings): WorkerDeploymentOptions {
  return {
    version: { deploymentName: settings.deploymentName, buildId: settings.buildId },
    useWorkerVersioning: true,
    defaultVersioningBehavior: settings.defaultVersioningBehavior === 'pinned' ? 'PINNED' : 'AUTO_UPGRADE',
  };
}

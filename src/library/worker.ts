/**
 * `lakeloop/worker`: what a worker process needs beside `lakeloop/activities` — where Lakeloop's
 * workflow code is (for a worker that serves only Lakeloop's workflows), the configuration and the
 * Databricks workspace client Lakeloop's own worker uses, payload encryption, and the search
 * attributes Lakeloop's workflows set (register them on your namespace before running them).
 *
 * Your own worker with your own workflows: bundle a workflows file of yours that does
 * `export * from 'lakeloop/workflows'` next to your own workflows, and register
 * `createActivities(activityDepsFromConfig(loadConfig()))` next to your own activities. OpenLineage
 * events: pass `lineage: lineageEmitterFor(config.openLineage, { version: lakeloopVersion(), warn })`
 * to createLakeloopWorker; a worker of your own registers `lineageSinks(emitter)` among its sinks.
 *
 * @packageDocumentation
 */
export { activityDepsFromConfig, type ActivityDepsOptions } from './activity-deps.js';
export { createLakeloopWorker, type LakeloopWorkerOptions } from '../create-worker.js';
export { workflowInterceptorModules, workflowsPath } from '../workflows-path.js';
export {
  ConfigError,
  DEFAULT_TASK_QUEUE,
  loadConfig,
  type DatabricksAuthSettings,
  type Env,
  type LakeloopConfig,
  type TemporalSettings,
  type VersioningBehaviorSetting,
  type WorkerDeploymentSettings,
  type WorkerSettings,
} from '../config/index.js';
export { AesGcmPayloadCodec, dataConverterFor, payloadCodecFor, type KeyRing } from '../codec/index.js';
export { LAKELOOP_SEARCH_ATTRIBUTES, searchAttributeCliFlags } from '../shared/search-attributes.js';
export { lakeloopVersion } from '../shared/version.js';
export {
  lineageEmitterFor,
  lineageSinks,
  LineageEmitter,
  type EmitterOptions,
  type EventSettings,
  type LineageTransport,
  type OpenLineageFacet,
  type RunEvent,
} from '../lineage/openlineage/index.js';
export type {
  LineageDatabricksRun,
  LineageExecution,
  LineageFact,
  LineageSinks,
  LineageState,
} from '../shared/lineage-facts.js';
export type { OpenLineageSettings } from '../config/index.js';

/**
 * The project's worker: its own workflows and activities, with Lakeloop's registered beside them, and
 * an activity interceptor of its own that sees Lakeloop's activities as well as the project's.
 * Configuration is Lakeloop's environment (TEMPORAL_*, LAKELOOP_TASK_QUEUE, DATABRICKS_*): see
 * Lakeloop's docs/CONFIGURATION.md.
 */
import { fileURLToPath } from 'node:url';
import type { ActivityInboundCallsInterceptor, ActivityExecuteInput, Next } from '@temporalio/worker';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from 'lakeloop/activities';
import {
  activityDepsFromConfig,
  lakeloopVersion,
  lineageEmitterFor,
  lineageSinks,
  loadConfig,
} from 'lakeloop/worker';
import * as ownActivities from './activities.js';

/** Counts the activities this worker ran, by type; printed when it stops. */
const ran = new Map<string, number>();
class CountingInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly activityType: string) {}
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    ran.set(this.activityType, (ran.get(this.activityType) ?? 0) + 1);
    return next(input);
  }
}

const config = loadConfig();
// Lakeloop's workflows emit OpenLineage run events through a sink every worker bundling them must
// register (an unregistered sink is logged as an error); off unless LAKELOOP_OPENLINEAGE_* ask.
const lineage = lineageEmitterFor(config.openLineage, {
  version: lakeloopVersion(),
  warn: (message, meta) => console.warn(message, meta),
});
const connection = await NativeConnection.connect(config.temporal.connection);
const worker = await Worker.create({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.worker.taskQueue,
  workflowsPath: fileURLToPath(new URL('./workflows.js', import.meta.url)),
  activities: { ...createActivities(activityDepsFromConfig(config)), ...ownActivities },
  interceptors: {
    activity: [(ctx) => ({ inbound: new CountingInterceptor(ctx.info.activityType) })],
  },
  sinks: lineageSinks(lineage),
});
console.log(`example worker polling task queue "${config.worker.taskQueue}"`);
await worker.run();
console.log(`example worker stopped; activities run: ${JSON.stringify(Object.fromEntries(ran))}`);
await lineage?.close();
await connection.close();

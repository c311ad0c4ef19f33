/**
 * `npm run histories` — re-records the workflow histories that test/replay.test.ts replays.
 * Runs each recorded scenario on a fresh local dev server with a real worker, then writes the
 * history JSON (the same format as `temporal workflow show --output json`) to test/histories/.
 * Re-record only on purpose: a replay failure usually means a change breaks running workflows,
 * and the fix is `patched()`, not new histories.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createLakeloopWorker } from '../src/create-worker.js';
import { LAKELOOP_SEARCH_ATTRIBUTES } from '../src/shared/search-attributes.js';
import { healthCheck } from '../src/workflows/index.js';
import { projectRoot, resolveTemporalBinary, sdkExecutable } from './lib/temporal-cli.js';

const taskQueue = 'record-histories';

/** Each scenario starts one workflow and returns its id; the file is test/histories/<name>.json. */
const scenarios: Record<string, (env: TestWorkflowEnvironment) => Promise<string>> = {
  'health-check': async (env) => {
    const workflowId = 'recorded-health-check';
    await env.client.workflow.execute(healthCheck, {
      taskQueue,
      workflowId,
      args: [{ requestedBy: 'recorder' }],
    });
    return workflowId;
  },
};

const cli = resolveTemporalBinary('cli');
console.log(cli.summary);
const env = await TestWorkflowEnvironment.createLocal({
  server: { executable: sdkExecutable(cli), ip: '127.0.0.1', searchAttributes: LAKELOOP_SEARCH_ATTRIBUTES },
});
try {
  const worker = await createLakeloopWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps: {
      workerIdentity: 'recorder',
      workerStartedAt: '2026-01-01T00:00:00.000Z',
      lakeloopVersion: 'recorded',
    },
  });
  await worker.runUntil(async () => {
    for (const [name, run] of Object.entries(scenarios)) {
      const workflowId = await run(env);
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      const file = path.join(projectRoot, 'test', 'histories', `${name}.json`);
      await writeFile(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
      console.log(`recorded ${history.events?.length ?? 0} events → ${path.relative(projectRoot, file)}`);
    }
  });
} finally {
  await env.teardown();
}

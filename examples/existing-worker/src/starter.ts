/**
 * Starts the project's workflow and prints its result as JSON:
 *   node dist/starter.js REPORT_NAME JOB_ID
 * and, with `--lakeloop-only`, a plain databricksRun through `lakeloop/client`'s helper.
 */
import { Client, Connection } from '@temporalio/client';
import { startDatabricksRun } from 'lakeloop/client';
import { loadConfig } from 'lakeloop/worker';
// Types only: workflow code is not loaded into a client process.
import type { nightlyReport } from './workflows.js';

const [report, jobId, flag] = process.argv.slice(2);
if (!report || !jobId) {
  console.error('usage: starter.js REPORT_NAME JOB_ID [--lakeloop-only]');
  process.exit(2);
}
const config = loadConfig();
const connection = await Connection.connect(config.temporal.connection);
const client = new Client({ connection, namespace: config.temporal.namespace });
const taskQueue = config.worker.taskQueue;
// Polled quickly: the example's jobs are short. Lakeloop's default polls from 5 s up to 60 s.
const run = { jobId, wait: { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '1s' } };
try {
  if (flag === '--lakeloop-only') {
    const handle = await startDatabricksRun(client, run, { taskQueue, workflowId: `${report}-run` });
    console.log(JSON.stringify({ workflowId: handle.workflowId, result: await handle.result() }));
  } else {
    const handle = await client.workflow.start<typeof nightlyReport>('nightlyReport', {
      taskQueue,
      workflowId: report,
      args: [{ report, run }],
    });
    console.log(JSON.stringify({ workflowId: handle.workflowId, result: await handle.result() }));
  }
} finally {
  await connection.close();
}

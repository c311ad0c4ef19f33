/**
 * `npm run demo [-- --keep]` — the whole product on the embedded local stack, in one command.
 *
 * It starts the local stack (Temporal dev server with Lakeloop's search attributes, the Databricks
 * emulator with a demo service principal, the worker with its webhook receiver), checks the worker
 * with the health-check workflow, runs a Databricks job through databricksRun (submitted once, awaited
 * by webhook, classified), then the churn pipeline twice: jobs/train.py really trains a model and logs
 * it to MLflow, the gate promotes it to "champion" and jobs/score.py scores with it; the second night's
 * deliberately weaker candidate is rejected and scoring keeps the champion. Prints every step, the
 * metrics, the decision, model versions, Databricks run links and the Temporal UI address.
 */
import { parseArgs } from 'node:util';
import { formatHealthCheck, runDoctor } from '../src/client/commands/doctor.js';
import { followRun, formatResult, startRun } from '../src/client/commands/runs.js';
import { formatPipelineResult, readPipelineFile } from '../src/client/commands/pipelines.js';
import { LakeloopPipeline } from '../src/shared/search-attributes.js';
import { pipelineSummary } from '../src/shared/ui-summary.js';
import { mlPipeline, type PipelineStatusView } from '../src/workflows/index.js';
import type { WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { connectClient } from '../src/client/connect.js';
import { loadConfig } from '../src/config/index.js';
import { isPortFree } from './lib/processes.js';
import { startStack, workerService } from './lib/stack.js';
import { projectRoot } from './lib/temporal-cli.js';
import { workspaceService } from './lib/workspace-service.js';
import path from 'node:path';

/** Prints each pipeline step as its state changes, until the pipeline ends. */
async function followPipeline(handle: WorkflowHandle<typeof mlPipeline>): Promise<void> {
  const seen = new Map<string, string>();
  let done = false;
  void handle.result().then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) {
    const view = await handle.query<PipelineStatusView>('status').catch(() => undefined);
    for (const s of view?.steps ?? []) {
      const line = `${s.state}${s.detail ? ` — ${s.detail}` : ''}`;
      if (seen.get(s.name) !== line && s.state !== 'pending') console.log(`    ${s.name.padEnd(9)} ${line}`);
      seen.set(s.name, line);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
const started = Date.now();
const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);

// The usual ports when free (so the UI is where the README says), otherwise any free ones.
const port = (await isPortFree(7233)) ? 7233 : 0;
const uiPort = (await isPortFree(8233)) ? 8233 : 0;

step('starting the local stack (Temporal dev server, Databricks emulator, Lakeloop worker)…');
const stack = await startStack({
  port,
  uiPort,
  keepData: false,
  services: [
    workspaceService({ port: 0, statePath: path.join(projectRoot, '.lakeloop', 'emulator-state.json') }),
    workerService({ echo: false }),
  ],
});
let exitCode = 0;
try {
  for (const [label, value] of stack.settings.addresses) console.log(`    ${label.padEnd(22)} ${value}`);
  step('running the health-check workflow through the Lakeloop client…');
  const lakeloop = await connectClient(loadConfig({ ...process.env, ...stack.settings.env }));
  try {
    const result = await runDoctor(lakeloop, { timeoutSeconds: 60, requestedBy: 'npm run demo' });
    step('workflow completed:');
    console.log(formatHealthCheck(result).replace(/^/gm, '    '));
    const ui = stack.settings.addresses.find(([label]) => label === 'Temporal Web UI')?.[1];

    step('running a Databricks job through databricksRun (submitted once, awaited by webhook)…');
    const handle = await startRun(lakeloop, {
      submit: {
        run_name: 'lakeloop-demo',
        tasks: [
          { task_key: 'prepare', notebook_task: { notebook_path: '/Shared/lakeloop/prepare' } },
          {
            task_key: 'train',
            depends_on: [{ task_key: 'prepare' }],
            notebook_task: { notebook_path: '/Shared/lakeloop/train' },
          },
        ],
      },
    });
    const run = await followRun(handle, (line) => console.log(`    ${line}`), 250);
    step('databricksRun completed:');
    console.log(formatResult(handle.workflowId, run).replace(/^/gm, '    '));
    console.log(`    see it in the UI: ${ui}/namespaces/default/workflows/${handle.workflowId}`);

    // The ML pipeline, twice: a real model trained by jobs/train.py, then a deliberately weaker one.
    const pipeline = readPipelineFile(path.join(projectRoot, 'pipelines', 'churn.json'));
    const weaker = structuredClone(pipeline);
    const trainTask = weaker.train.submit!.tasks[0] as unknown as {
      spark_python_task: { parameters: string[] };
    };
    trainTask.spark_python_task.parameters.push('--weak');
    for (const [label, definition] of [
      ['churn pipeline, first night', pipeline],
      ['churn pipeline, second night (a deliberately weaker candidate)', weaker],
    ] as const) {
      step(`running the ${label}: train → evaluate → gate → register → score…`);
      const pipelineHandle = await lakeloop.client.workflow.start(mlPipeline, {
        taskQueue: lakeloop.taskQueue,
        workflowId: `pipeline-${definition.name}-${randomUUID().slice(0, 8)}`,
        args: [definition],
        typedSearchAttributes: [{ key: LakeloopPipeline, value: definition.name }],
        staticSummary: pipelineSummary(definition),
      });
      await followPipeline(pipelineHandle);
      const result = await pipelineHandle.result();
      console.log(formatPipelineResult(pipelineHandle.workflowId, result).replace(/^/gm, '    '));
      console.log(`    see it in the UI: ${ui}/namespaces/default/workflows/${pipelineHandle.workflowId}`);
    }
    console.log(`    health check:     ${ui}/namespaces/default/workflows/${result.workflowId}`);
  } finally {
    await lakeloop.close();
  }
  if (values.keep) {
    step('--keep: the stack stays up; press Ctrl-C to stop it.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  step('stopping the local stack…');
  await stack.stop();
}
step(exitCode === 0 ? 'demo finished.' : 'demo failed.');
process.exit(exitCode);

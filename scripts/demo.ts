/**
 * `npm run demo [-- --keep] [the stack flags]` — the whole product on the embedded local stack, in one
 * command.
 *
 * It starts the local stack (Temporal dev server with Lakeloop's search attributes, the Databricks
 * emulator with a demo service principal, the worker with its webhook receiver), checks the worker
 * with the health-check workflow, runs a Databricks job through databricksRun (submitted once, awaited
 * by webhook, classified), then the churn pipeline twice: jobs/train.py really trains a model and logs
 * it to MLflow, the gate promotes it to "champion" and jobs/score.py scores with it; the second night's
 * deliberately weaker candidate is rejected and scoring keeps the champion. Prints every step, the
 * metrics, the decision, model versions, Databricks run links and the Temporal UI address. Ctrl-C (or
 * SIGTERM) at any point stops the stack once, cleanly, and removes its stack.env.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatHealthCheck, runDoctor } from '../src/client/commands/doctor.js';
import { lineageDeps } from '../src/client/commands/lineage.js';
import { formatLineage } from '../src/client/lineage/format.js';
import { traceLineage } from '../src/client/lineage/trace.js';
import { startPipeline } from '../src/client/commands/pipeline-commands.js';
import { formatPipelineResult, readPipelineFile } from '../src/client/commands/pipelines.js';
import { followRun, formatResult, startRun } from '../src/client/commands/runs.js';
import { connectClient } from '../src/client/connect.js';
import { loadConfig } from '../src/config/index.js';
import { followPipeline } from './lib/follow-pipeline.js';
import { isPortFree } from './lib/processes.js';
import { scriptArgsOrExit, STACK_FLAGS_USAGE } from './lib/script-args.js';
import { startStack, workerService, type RunningStack } from './lib/stack.js';
import { onStopSignals } from './lib/stop-signals.js';
import { projectRoot } from './lib/temporal-cli.js';
import { workspaceService } from './lib/workspace-service.js';

const USAGE = `usage: npm run demo -- [flags]

Runs Lakeloop end to end on the local stack: a Databricks run, then the churn pipeline twice.

  --keep               leave the stack running afterwards (Ctrl-C stops it)
${STACK_FLAGS_USAGE}`;

const { flags, values } = scriptArgsOrExit('npm run demo', USAGE, process.argv.slice(2), {
  keep: { type: 'boolean', default: false },
});
const stop = onStopSignals();
const started = Date.now();
const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);
const indent = (text: string) => text.replace(/^/gm, '    ');

/** The health check, a Databricks run and both pipeline nights, printed as they go. */
async function runDemo(stack: RunningStack): Promise<void> {
  const config = loadConfig({ ...process.env, ...stack.settings.env });
  const lakeloop = await connectClient(config);
  try {
    const health = await runDoctor(lakeloop, { timeoutSeconds: 60, requestedBy: 'npm run demo' });
    step('workflow completed:');
    console.log(indent(formatHealthCheck(health)));
    const ui = stack.settings.addresses.find(([label]) => label === 'Temporal Web UI')?.[1];
    const uiLink = (workflowId: string) =>
      `${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;

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
    console.log(indent(formatResult(handle.workflowId, run)));
    console.log(`    see it in the UI: ${uiLink(handle.workflowId)}`);

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
      const pipelineHandle = await startPipeline(lakeloop, definition);
      const result = await followPipeline(pipelineHandle, (line) => console.log(`    ${line}`));
      console.log(indent(formatPipelineResult(pipelineHandle.workflowId, result)));
      console.log(`    see it in the UI: ${uiLink(pipelineHandle.workflowId)}`);
    }
    // Where the champion came from, read back from Temporal, Databricks, MLflow and the registry.
    const champion = `${pipeline.register.model}@${pipeline.register.alias}`;
    step(`lineage of ${champion}:`);
    console.log(indent(formatLineage(await traceLineage(lineageDeps(lakeloop, config), champion))));
    await printLineageEvents();
    console.log(`    health check:     ${uiLink(health.workflowId)}`);
    // The CLI finds the stack through .lakeloop/stack.env in the project; elsewhere it must be told.
    const settingsFile = stack.settings.addresses.find(([label]) => label === 'Settings file')?.[1];
    const cliEnv =
      settingsFile && path.resolve(settingsFile) !== path.join(projectRoot, '.lakeloop', 'stack.env')
        ? `LAKELOOP_STACK_ENV=${settingsFile} `
        : '';
    console.log(`    from a terminal:  ${cliEnv}npm run lakeloop -- list | status ID | result ID`);
    console.log(`                      ${cliEnv}npm run lakeloop -- lineage ${champion}`);
  } finally {
    await lakeloop.close();
  }
}

/**
 * The demo's OpenLineage run events (the worker appends them to a JSON-lines file; the test suite
 * validates such a file against the spec, test/lineage/validate_openlineage.py). The worker sends them
 * from a queue, so the last ones may still be on their way: wait (a few seconds at most) until every
 * run that started has ended.
 */
const openLineageFile = path.resolve(flags.stateDir, 'openlineage.jsonl');
interface LineageLine {
  eventType: string;
  run: { runId: string };
  job: { name: string };
}
function readLineageEvents(): LineageLine[] {
  return readFileSync(openLineageFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LineageLine);
}
async function printLineageEvents(): Promise<void> {
  if (!existsSync(openLineageFile)) return; // LAKELOOP_OPENLINEAGE_* sent them elsewhere
  let events = readLineageEvents();
  const open = (list: LineageLine[]) => {
    const ended = new Set(list.filter((e) => e.eventType !== 'START').map((e) => e.run.runId));
    return list.filter((e) => e.eventType === 'START' && !ended.has(e.run.runId)).length;
  };
  for (let waited = 0; open(events) > 0 && waited < 10_000; waited += 200) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    events = readLineageEvents();
  }
  const byType = new Map<string, number>();
  for (const e of events) byType.set(e.eventType, (byType.get(e.eventType) ?? 0) + 1);
  const jobs = new Set(events.map((e) => e.job.name)).size;
  const counts = [...byType].map(([type, n]) => `${n} ${type}`).join(', ');
  step(`OpenLineage: ${events.length} run events (${counts}) of ${jobs} jobs in ${openLineageFile}`);
}

// The usual ports when free (so the UI is where the README says), otherwise any free ones; a port
// given as a flag is used or refused.
const port = flags.port ?? ((await isPortFree(7233)) ? 7233 : 0);
const uiPort = flags.uiPort ?? ((await isPortFree(8233)) ? 8233 : 0);

step('starting the local stack (Temporal dev server, Databricks emulator, Lakeloop worker)…');
// Each demo's events only (a --keep-data stack keeps its workflows, not this file).
rmSync(openLineageFile, { force: true });
let stack: RunningStack;
try {
  stack = await startStack({
    port,
    uiPort,
    keepData: flags.keepData,
    verbose: flags.verbose,
    stateDir: flags.stateDir,
    services: [
      workspaceService({
        port: flags.emulatorPort,
        statePath: path.join(flags.stateDir, 'emulator-state.json'),
        timeScale: flags.timeScale,
      }),
      workerService({ echo: false, openLineageFile }),
    ],
  });
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exit(1);
}
void stack.serverExited.then((exit) => stop.request(`the temporal server exited (${exit})`));

let exitCode = 0;
if (stop.reason() === undefined) {
  for (const [label, value] of stack.settings.addresses) console.log(`    ${label.padEnd(22)} ${value}`);
  step('running the health-check workflow through the Lakeloop client…');
  const demo = runDemo(stack).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  // A stop request ends the demo where it is: the stack goes, and with it whatever was in flight.
  const ended = await Promise.race([demo, stop.requested.then((reason) => ({ interrupted: reason }))]);
  if (ended instanceof Error) {
    console.error(`demo failed: ${ended.message}`);
    exitCode = 1;
  } else if (ended && 'interrupted' in ended) {
    const signalled = ended.interrupted.startsWith('SIG');
    console.error(
      signalled ? `\n${ended.interrupted}: the demo was interrupted` : `demo failed: ${ended.interrupted}`,
    );
    exitCode = signalled ? 130 : 1;
  } else if (values.keep) {
    step('--keep: the stack stays up; press Ctrl-C to stop it.');
    console.log(`\n${await stop.requested}`);
  }
}
step('stopping the local stack…');
await stack.stop();
step('local stack stopped.');
step(exitCode === 0 ? 'demo finished.' : 'demo failed.');
process.exit(exitCode);

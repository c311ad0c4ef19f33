/**
 * The `lakeloop` command line client (entry point: cli.ts). Reads the same configuration as the
 * worker (TEMPORAL_*, LAKELOOP_*, and `.lakeloop/stack.env` while the local stack runs), so it needs
 * no flags locally. Exit code 0 on success; 2 for bad flags or input; 1 when the command failed or the
 * workflow it reports on did not succeed, with a one-line reason on stderr — or, with --json, every
 * answer is one JSON document on stdout, errors too (`{"error": "…"}`).
 */
import { ConfigError } from '../config/index.js';
import type { RunResult } from '../shared/run-types.js';
import { CommandFailed, parse, UsageError, withClient } from './cli-support.js';
import { formatHealthCheck, runDoctor } from './commands/doctor.js';
import { pipelineCommand } from './commands/pipeline-commands.js';
import {
  explainFailure,
  followRun,
  formatResult,
  InputError,
  runInputFromFlags,
  startRun,
} from './commands/runs.js';
import { reapCommand } from './commands/reap.js';
import { scheduleCommand } from './commands/schedule-commands.js';
import { exportRunViews, formatExport, parseViews } from './commands/export.js';
import { lineageCommand } from './commands/lineage.js';
import { cancel, list, result, status } from './commands/workflows.js';

const USAGE = `usage: lakeloop <command> [options]

commands:
  run (--job-id ID | --job-name NAME | --submit FILE) [--param k=v]… [--wait] [--json]
      [--wait-mode auto|webhook|poll|heartbeat] [--timeout 2h] [--retries N]
      [--retry-strategy repair|resubmit] [--detach-on-cancel] [--workflow-id ID]
                                   start a Databricks run (and follow it with --wait)
  status WORKFLOW_ID [--json]      how a run, pipeline, health check or reaper stands: running,
                                   succeeded, failed (and why), cancelled, timed out (exit 1 unless
                                   running or succeeded)
  result WORKFLOW_ID [--json]      wait for the workflow to end and print its result
  cancel WORKFLOW_ID [--wait] [--json]
                                   cancel a running workflow (and its Databricks run, unless detached)
  export WORKFLOW_ID [--out DIR] [--views CODE|DASHBOARDS|ALL] [--json]
                                   save the rendered notebooks of a finished run (runs/export)
  lineage MODEL@ALIAS | MODEL/VERSION | PIPELINE_WORKFLOW_ID [--json]
                                   where a model version came from (pipeline, Databricks run and
                                   job, MLflow run, approval) and which pipelines promoted and scored it
  list [--kind run,pipeline,health-check,reaper|all] [--pipeline NAME]
      [--state RUNNING|SUCCEEDED|FAILED|CANCELLED|TIMED_OUT|TERMINATED] [--limit N] [--json]
                                   recent runs and pipelines, newest first
  pipeline start FILE [--wait] [--json] [--workflow-id ID]
                                   run a pipeline definition (train → evaluate → register → score)
  pipeline status WORKFLOW_ID [--json]
  pipeline approve|reject WORKFLOW_ID [--by NAME] [--comment TEXT] [--candidate ID]
                                   a decision is refused unless the pipeline waits at its gate (and,
                                   with --candidate, for that MLflow run id or train run id)
  reap [--dry-run] [--json]        one orphan-reaper sweep now: cancel the Databricks runs of workflows
                                   that closed without cancelling them (terminated, timed out)
  schedule create NAME --pipeline FILE (--cron EXPR | --every DURATION) [--overlap skip|buffer-one|…]
      [--catchup-window D] [--pause-on-failure]
  schedule list | describe NAME | update NAME [same flags] | pause NAME [--note] | unpause NAME
      | trigger NAME | backfill NAME --from ISO --to ISO | delete NAME
  doctor [--timeout SECONDS] [--json]
                                   check that Temporal is reachable and a worker is serving
  help                             show this text`;

function printResult(workflowId: string, result: RunResult, json: boolean): void {
  console.log(json ? JSON.stringify({ workflowId, result }) : formatResult(workflowId, result));
}

async function run(argv: string[]): Promise<number | void> {
  const { values } = parse(argv, {
    'job-id': { type: 'string' },
    'job-name': { type: 'string' },
    submit: { type: 'string' },
    param: { type: 'string', multiple: true },
    wait: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'wait-mode': { type: 'string' },
    timeout: { type: 'string' },
    retries: { type: 'string' },
    'retry-strategy': { type: 'string' },
    'detach-on-cancel': { type: 'boolean', default: false },
    'workflow-id': { type: 'string' },
  });
  const input = runInputFromFlags({
    jobId: values['job-id'],
    jobName: values['job-name'],
    submit: values.submit,
    param: values.param,
    waitMode: values['wait-mode'],
    timeout: values.timeout,
    retries: values.retries,
    retryStrategy: values['retry-strategy'],
    detachOnCancel: values['detach-on-cancel'],
  });
  await withClient(async (lakeloop) => {
    const handle = await startRun(lakeloop, input, values['workflow-id']);
    if (!values.wait) {
      console.log(
        values.json ? JSON.stringify({ workflowId: handle.workflowId }) : `started ${handle.workflowId}`,
      );
      return;
    }
    if (!values.json) console.error(`started ${handle.workflowId}`);
    try {
      const result = await followRun(handle, (line) => {
        if (!values.json && process.stderr.isTTY !== false) console.error(`  ${line}`);
      });
      printResult(handle.workflowId, result, values.json);
    } catch (err) {
      const { reason, result } = explainFailure(err);
      if (!values.json) throw new CommandFailed(reason);
      console.log(JSON.stringify({ workflowId: handle.workflowId, error: reason, result }));
      return 1;
    }
  });
}

async function exportViews(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    { out: { type: 'string' }, views: { type: 'string' }, json: { type: 'boolean', default: false } },
    1,
  );
  const workflowId = positionals[0]!;
  const views = parseViews(values.views);
  await withClient(async (lakeloop, config) => {
    const exported = await exportRunViews(lakeloop, config, {
      workflowId,
      outDir: values.out ?? `export-${workflowId.replace(/[^\w.-]+/g, '_')}`,
      views,
    });
    console.log(values.json ? JSON.stringify({ workflowId, exported }) : formatExport(exported));
    if (!exported.some((e) => e.file))
      throw new CommandFailed(`no task run of ${workflowId} could be exported`);
  });
}

async function doctor(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    timeout: { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
  });
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`--timeout: expected a positive number of seconds (got "${values.timeout}")`);
  }
  await withClient(async (lakeloop) => {
    const health = await runDoctor(lakeloop, { timeoutSeconds, requestedBy: 'lakeloop doctor' });
    console.log(values.json ? JSON.stringify(health) : formatHealthCheck(health));
  });
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number | void>> = {
  run,
  status,
  result,
  cancel,
  export: exportViews,
  lineage: lineageCommand,
  list,
  doctor,
  pipeline: pipelineCommand,
  schedule: scheduleCommand,
  reap: reapCommand,
};

/** --json asks for JSON on stdout for every answer, errors included (flags after `--` do not count). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--json' || a === '--json=true');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const json = wantsJson(rest);
  const fail = (code: number, message: string): number => {
    if (json) console.log(JSON.stringify({ error: message }));
    else console.error(message);
    return code;
  };
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    const handler = COMMANDS[command];
    if (!handler) throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    return (await handler(rest)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputError) {
      return fail(2, json ? err.message : `lakeloop ${command}: ${err.message}`);
    }
    if (err instanceof ConfigError) return fail(1, err.message);
    const message = (err as Error).message.split('\n')[0]!;
    return fail(1, json ? message : `lakeloop ${command}: ${message}`);
  }
}

/**
 * The `lakeloop` command line client (entry point: cli.ts). Reads the same configuration as the
 * worker (TEMPORAL_*, LAKELOOP_*, and `.lakeloop/stack.env` while the local stack runs), so it needs
 * no flags locally. Exit code 0 on success; otherwise non-zero with a one-line reason on stderr.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
import { ConfigError, loadConfig } from '../config/index.js';
import { formatHealthCheck, runDoctor } from './commands/doctor.js';
import {
  describeStatus,
  explainFailure,
  followRun,
  formatResult,
  InputError,
  runInputFromFlags,
  startRun,
} from './commands/runs.js';
import {
  createSchedule,
  describeSchedule,
  formatPipelineResult,
  overlapPolicy,
  readPipelineFile,
  scheduleSpec,
  updateSchedule,
} from './commands/pipelines.js';
import { connectClient, type LakeloopClient } from './connect.js';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { LakeloopPipeline } from '../shared/search-attributes.js';
import type { PipelineResult } from '../shared/pipeline-types.js';
import type { PipelineStatusView } from '../workflows/ml-pipeline.js';
import type { RunStatusView } from '../workflows/index.js';
import type { RunResult } from '../shared/run-types.js';

const USAGE = `usage: lakeloop <command> [options]

commands:
  run (--job-id ID | --job-name NAME | --submit FILE) [--param k=v]… [--wait] [--json]
      [--wait-mode auto|webhook|poll|heartbeat] [--timeout 2h] [--retries N]
      [--retry-strategy repair|resubmit] [--detach-on-cancel] [--workflow-id ID]
                                   start a Databricks run (and follow it with --wait)
  status WORKFLOW_ID [--json]      the run's live status
  result WORKFLOW_ID [--json]      wait for the run and print its result
  cancel WORKFLOW_ID               cancel the workflow (and its Databricks run, unless detached)
  list [--limit N] [--json]        recent runs, newest first
  pipeline start FILE [--wait] [--json] [--workflow-id ID]
                                   run a pipeline definition (train → evaluate → register → score)
  pipeline status|approve|reject WORKFLOW_ID [--by NAME] [--comment TEXT]
  schedule create NAME --pipeline FILE (--cron EXPR | --every DURATION) [--overlap skip|buffer-one|…]
      [--catchup-window D] [--pause-on-failure]
  schedule list | describe NAME | update NAME [same flags] | pause NAME [--note] | unpause NAME
      | trigger NAME | backfill NAME --from ISO --to ISO | delete NAME
  doctor [--timeout SECONDS] [--json]
                                   check that Temporal is reachable and a worker is serving
  help                             show this text`;

class UsageError extends Error {}

/** A command that failed in an expected way (the run failed, nothing found): exit 1, one line. */
class CommandFailed extends Error {}

async function withClient<T>(body: (lakeloop: LakeloopClient) => Promise<T>): Promise<T> {
  const lakeloop = await connectClient(loadConfig());
  try {
    return await body(lakeloop);
  } finally {
    await lakeloop.close();
  }
}

function parse<const T extends OptionsConfig>(argv: string[], options: T, positionals = 0) {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length !== positionals) {
      throw new UsageError(
        positionals ? 'expected a workflow id' : `unexpected argument "${parsed.positionals[0]}"`,
      );
    }
    return parsed;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function printResult(workflowId: string, result: RunResult, json: boolean): void {
  console.log(json ? JSON.stringify({ workflowId, result }) : formatResult(workflowId, result));
}

async function run(argv: string[]): Promise<void> {
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
      if (values.json) console.log(JSON.stringify({ workflowId: handle.workflowId, error: reason, result }));
      throw new CommandFailed(reason);
    }
  });
}

async function status(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean', default: false } }, 1);
  await withClient(async (lakeloop) => {
    const handle = lakeloop.client.workflow.getHandle(positionals[0]!);
    const view = await handle.query<RunStatusView>('status').catch((err: unknown) => {
      throw new CommandFailed(`cannot read the status of ${positionals[0]}: ${(err as Error).message}`);
    });
    console.log(values.json ? JSON.stringify(view) : describeStatus(view));
  });
}

async function result(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean', default: false } }, 1);
  await withClient(async (lakeloop) => {
    const handle = lakeloop.client.workflow.getHandle(positionals[0]!);
    try {
      printResult(handle.workflowId, (await handle.result()) as RunResult, values.json);
    } catch (err) {
      throw new CommandFailed(explainFailure(err).reason);
    }
  });
}

async function cancel(argv: string[]): Promise<void> {
  const { positionals } = parse(argv, {}, 1);
  await withClient(async (lakeloop) => {
    await lakeloop.client.workflow.getHandle(positionals[0]!).cancel();
    console.log(`cancel requested for ${positionals[0]}`);
  });
}

async function list(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    limit: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError(`--limit: expected 1 to 1000 (got "${values.limit}")`);
  await withClient(async (lakeloop) => {
    const rows = [];
    for await (const execution of lakeloop.client.workflow.list({
      query: "WorkflowType = 'databricksRun'",
    })) {
      const attributes = execution.searchAttributes as Record<string, unknown[] | undefined>;
      rows.push({
        workflowId: execution.workflowId,
        status: execution.status.name,
        started: execution.startTime.toISOString(),
        databricksRunId: attributes.DatabricksRunId?.[0],
        databricksRunState: attributes.DatabricksRunState?.[0],
      });
      if (rows.length >= limit) break;
    }
    if (values.json) return console.log(JSON.stringify(rows));
    for (const row of rows) {
      console.log(
        [
          row.started,
          row.status.padEnd(10),
          String(row.databricksRunId ?? '-').padEnd(14),
          String(row.databricksRunState ?? '-').padEnd(16),
          row.workflowId,
        ].join('  '),
      );
    }
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

async function pipelineCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'start') {
    const { values, positionals } = parse(
      rest,
      {
        wait: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'workflow-id': { type: 'string' },
      },
      1,
    );
    const pipeline = readPipelineFile(positionals[0]!);
    await withClient(async (lakeloop) => {
      const handle = await lakeloop.client.workflow.start('mlPipeline', {
        taskQueue: lakeloop.taskQueue,
        workflowId: values['workflow-id'] ?? `pipeline-${pipeline.name}-${randomUUID().slice(0, 8)}`,
        args: [pipeline],
        typedSearchAttributes: [{ key: LakeloopPipeline, value: pipeline.name }],
      });
      if (!values.wait) {
        console.log(
          values.json ? JSON.stringify({ workflowId: handle.workflowId }) : `started ${handle.workflowId}`,
        );
        return;
      }
      try {
        const result = (await handle.result()) as PipelineResult;
        console.log(
          values.json
            ? JSON.stringify({ workflowId: handle.workflowId, result })
            : formatPipelineResult(handle.workflowId, result),
        );
      } catch (err) {
        throw new CommandFailed(explainFailure(err).reason);
      }
    });
    return;
  }
  if (sub === 'status') {
    const { values, positionals } = parse(rest, { json: { type: 'boolean', default: false } }, 1);
    await withClient(async (lakeloop) => {
      const view = await lakeloop.client.workflow
        .getHandle(positionals[0]!)
        .query<PipelineStatusView>('status');
      if (values.json) return console.log(JSON.stringify(view));
      console.log(`pipeline ${view.pipeline}${view.awaitingApproval ? ' (waiting for approval)' : ''}`);
      for (const step of view.steps)
        console.log(`  ${step.name.padEnd(9)} ${step.state.padEnd(9)} ${step.detail ?? ''}`);
    });
    return;
  }
  if (sub === 'approve' || sub === 'reject') {
    const { values, positionals } = parse(rest, { by: { type: 'string' }, comment: { type: 'string' } }, 1);
    await withClient(async (lakeloop) => {
      const handle = lakeloop.client.workflow.getHandle(positionals[0]!);
      const decision = await handle
        .executeUpdate('decide', {
          args: [{ decision: sub, by: values.by ?? userInfo().username, comment: values.comment }],
        })
        .catch((err: unknown) => {
          throw new CommandFailed(
            `${sub} refused: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`,
          );
        });
      console.log(`${positionals[0]}: ${JSON.stringify(decision)}`);
    });
    return;
  }
  throw new UsageError(`unknown pipeline command "${sub ?? ''}": expected start, status, approve or reject`);
}

const SCHEDULE_FLAGS = {
  pipeline: { type: 'string' },
  cron: { type: 'string' },
  every: { type: 'string' },
  overlap: { type: 'string' },
  'catchup-window': { type: 'string' },
  'pause-on-failure': { type: 'boolean' },
  note: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

async function scheduleCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, SCHEDULE_FLAGS, sub === 'list' ? 0 : 1);
  const name = positionals[0]!;
  const flags = {
    cron: values.cron,
    every: values.every,
    overlap: values.overlap,
    catchupWindow: values['catchup-window'],
    pauseOnFailure: values['pause-on-failure'],
  };
  // Validate files and flags before connecting, so bad input never waits on the network.
  const pipeline = values.pipeline ? readPipelineFile(values.pipeline) : undefined;
  if (sub === 'create') {
    if (!pipeline) throw new UsageError('--pipeline FILE is required');
    scheduleSpec(flags);
    overlapPolicy(flags.overlap);
  }
  await withClient(async (lakeloop) => {
    const handle = () => lakeloop.client.schedule.getHandle(name);
    switch (sub) {
      case 'create':
        await createSchedule(lakeloop, name, pipeline!, flags);
        return console.log(`schedule ${name} created`);
      case 'update':
        await updateSchedule(lakeloop, name, { ...flags, ...(pipeline ? { pipeline } : {}) });
        return console.log(`schedule ${name} updated`);
      case 'describe':
        return console.log(
          JSON.stringify(describeSchedule(name, await handle().describe()), null, values.json ? 0 : 2),
        );
      case 'list': {
        const rows = [];
        for await (const s of lakeloop.client.schedule.list()) {
          rows.push({
            schedule: s.scheduleId,
            paused: s.state.paused,
            next: s.info.nextActionTimes[0]?.toISOString(),
          });
        }
        return console.log(
          values.json
            ? JSON.stringify(rows)
            : rows
                .map((r) => `${r.schedule}  ${r.paused ? 'paused' : 'active'}  next ${r.next ?? '-'}`)
                .join('\n'),
        );
      }
      case 'pause':
        await handle().pause(values.note ?? 'paused with lakeloop');
        return console.log(`schedule ${name} paused`);
      case 'unpause':
        await handle().unpause(values.note ?? 'unpaused with lakeloop');
        return console.log(`schedule ${name} unpaused`);
      case 'trigger':
        await handle().trigger();
        return console.log(`schedule ${name} triggered`);
      case 'backfill': {
        const start = new Date(values.from ?? '');
        const end = new Date(values.to ?? '');
        if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
          throw new UsageError(
            '--from and --to: expected ISO times with --from before --to, e.g. 2026-11-01T00:00:00Z',
          );
        }
        await handle().backfill({ start, end, overlap: 'ALLOW_ALL' });
        return console.log(`schedule ${name} backfilled from ${start.toISOString()} to ${end.toISOString()}`);
      }
      case 'delete':
        await handle().delete();
        return console.log(`schedule ${name} deleted`);
      default:
        throw new UsageError(`unknown schedule command "${sub ?? ''}"`);
    }
  });
}

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  run,
  status,
  result,
  cancel,
  list,
  doctor,
  pipeline: pipelineCommand,
  schedule: scheduleCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    const handler = COMMANDS[command];
    if (!handler) throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    await handler(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputError) {
      console.error(`lakeloop ${command}: ${err.message}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    console.error(`lakeloop ${command}: ${(err as Error).message.split('\n')[0]}`);
    return 1;
  }
}

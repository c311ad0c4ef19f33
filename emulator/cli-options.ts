/** `npm run emulator -- [flags]`: parsing the command line into EmulatorOptions. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { EmulatorOptions } from './options.js';

export const USAGE = `Usage: npm run emulator -- --pat TOKEN [options]

Credentials (at least one):
  --pat TOKEN              accept this personal access token (repeatable)
  --pat-file FILE          accept every non-empty line of FILE as a token (keeps tokens out of ps)

Options:
  --port N                 port on 127.0.0.1 (default 0: any free port)
  --state FILE             persist the workspace to FILE and resume from it
  --time-scale N           emulated time runs N times faster (default 1)
  --default-task-ms N      duration of a task without a scenario rule, emulated ms (default 1000)
  --workspace-id ID        workspace id in run URLs and webhook payloads
  --principal NAME         user the PATs authenticate as
  --python PATH            interpreter for local spark_python_task files (default python3)
  --max-log-bytes N        keep the last N bytes of a Python task's output (default 5 MiB)
  --webhook-ids string|number   JSON type of ids in webhook payloads (default string)
  --failed-run-state TERMINATED|INTERNAL_ERROR   life_cycle_state of failed runs (default TERMINATED)
  --seed N                 seed for fault probabilities
  --verbose                log one line per request (never headers or tokens)
  --help                   show this text`;

export function parseCommandLine(argv: string[]): EmulatorOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      pat: { type: 'string', multiple: true },
      'pat-file': { type: 'string', multiple: true },
      state: { type: 'string' },
      'time-scale': { type: 'string' },
      'default-task-ms': { type: 'string' },
      'workspace-id': { type: 'string' },
      principal: { type: 'string' },
      python: { type: 'string' },
      'max-log-bytes': { type: 'string' },
      'webhook-ids': { type: 'string' },
      'failed-run-state': { type: 'string' },
      seed: { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';

  const pats = [...(values.pat ?? [])];
  for (const file of values['pat-file'] ?? []) {
    pats.push(
      ...readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean),
    );
  }
  const webhookIds = values['webhook-ids'];
  if (webhookIds !== undefined && webhookIds !== 'string' && webhookIds !== 'number') {
    throw new Error('--webhook-ids must be "string" or "number"');
  }
  const failedRunState = values['failed-run-state'];
  if (
    failedRunState !== undefined &&
    failedRunState !== 'TERMINATED' &&
    failedRunState !== 'INTERNAL_ERROR'
  ) {
    throw new Error('--failed-run-state must be TERMINATED or INTERNAL_ERROR');
  }
  return {
    pats,
    ...optionalNumber('port', values.port),
    ...optionalNumber('timeScale', values['time-scale']),
    ...optionalNumber('defaultTaskDurationMs', values['default-task-ms']),
    ...optionalNumber('maxLogBytes', values['max-log-bytes']),
    ...optionalNumber('seed', values.seed),
    ...(values.state !== undefined ? { statePath: values.state } : {}),
    ...(values['workspace-id'] !== undefined ? { workspaceId: values['workspace-id'] } : {}),
    ...(values.principal !== undefined ? { principal: values.principal } : {}),
    ...(values.python !== undefined ? { python: values.python } : {}),
    ...(webhookIds !== undefined ? { webhookIdFormat: webhookIds } : {}),
    ...(failedRunState !== undefined ? { failedRunLifeCycle: failedRunState } : {}),
    ...(values.verbose ? { verbose: true } : {}),
  };
}

function optionalNumber<K extends string>(key: K, raw: string | undefined): Partial<Record<K, number>> {
  if (raw === undefined) return {};
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw new Error(`--${key} expects a number, got "${raw}"`);
  return { [key]: value } as Partial<Record<K, number>>;
}

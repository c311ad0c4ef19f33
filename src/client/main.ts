/**
 * The `lakeloop` command line client (entry point: cli.ts). Reads the same configuration as the worker (TEMPORAL_*,
 * LAKELOOP_*, and `.lakeloop/stack.env` while the local stack runs), so it needs no flags locally.
 * Exit code 0 on success; otherwise non-zero with a one-line reason on stderr.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.js';
import { formatHealthCheck, runDoctor } from './commands/doctor.js';
import { connectClient } from './connect.js';

const USAGE = `usage: lakeloop <command> [options]

commands:
  doctor [--timeout SECONDS] [--json]   check that Temporal is reachable and a worker is serving
  help                                   show this text`;

class UsageError extends Error {}

async function doctor(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { timeout: { type: 'string', default: '30' }, json: { type: 'boolean', default: false } },
  });
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`--timeout: expected a positive number of seconds (got "${values.timeout}")`);
  }
  const lakeloop = await connectClient(loadConfig());
  try {
    const result = await runDoctor(lakeloop, { timeoutSeconds, requestedBy: 'lakeloop doctor' });
    console.log(values.json ? JSON.stringify(result) : formatHealthCheck(result));
  } finally {
    await lakeloop.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'doctor':
        await doctor(rest);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (err) {
    const message =
      err instanceof ConfigError || err instanceof UsageError
        ? err.message
        : `lakeloop: ${(err as Error).message}`;
    console.error(message);
    return err instanceof UsageError ? 2 : 1;
  }
}

/** What every `lakeloop` command shares: argument parsing, the client's lifetime, and the error kinds main() maps to exit codes. */
import { connect } from 'node:net';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, stackTemporalAddress, type LakeloopConfig } from '../config/index.js';
import { startTracing } from '../observability/tracing.js';
import { connectClient, type LakeloopClient } from './connect.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Bad flags or arguments: exit 2. */
export class UsageError extends Error {}

/** A command that failed in an expected way (the run failed, nothing found): exit 1, one line. */
export class CommandFailed extends Error {}

export async function withClient<T>(
  body: (lakeloop: LakeloopClient, config: LakeloopConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  await refuseStoppedStack(config.temporal.address);
  // `lakeloop run` then starts the trace the workflow, its activities and Databricks calls continue.
  const tracing = startTracing(config.tracing, { component: 'cli' });
  try {
    const lakeloop = await connectClient(config, { tracing }).catch((err: unknown) => {
      throw new CommandFailed(
        `cannot reach Temporal at ${config.temporal.address} (${(err as Error).message.split('\n')[0]}): ` +
          'is the server running? TEMPORAL_ADDRESS or TEMPORAL_PROFILE choose another one',
      );
    });
    try {
      return await body(lakeloop, config);
    } finally {
      await lakeloop.close();
    }
  } finally {
    await tracing?.shutdown();
  }
}

/**
 * When the address comes from the local stack's settings file and nothing listens there, the stack has
 * stopped without removing the file (it was killed): say so at once, instead of the SDK's retries until
 * its deadline and "Failed to connect before the deadline".
 */
async function refuseStoppedStack(address: string): Promise<void> {
  const stack = stackTemporalAddress();
  if (!stack || stack.address !== address) return;
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  const listening = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port, timeout: 2_000 });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
  if (!listening) {
    throw new CommandFailed(
      `the local stack at ${address} is not running: start it with \`npm run stack\` ` +
        `(${stack.file} is left from a stack that did not stop cleanly)`,
    );
  }
}

export function parse<const T extends OptionsConfig>(argv: string[], options: T, positionals = 0) {
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

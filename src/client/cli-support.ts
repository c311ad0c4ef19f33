/** What every `lakeloop` command shares: argument parsing, the client's lifetime, and the error kinds main() maps to exit codes. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type LakeloopConfig } from '../config/index.js';
import { startTracing } from '../observability/tracing.js';
import { connectClient, type LakeloopClient } from './connect.js';
import { silentLocalServer } from './reachability.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Bad flags or arguments: exit 2. */
export class UsageError extends Error {}

/** A command that failed in an expected way (the run failed, nothing found): exit 1, one line. */
export class CommandFailed extends Error {}

export async function withClient<T>(
  body: (lakeloop: LakeloopClient, config: LakeloopConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const silent = await silentLocalServer(config.temporal.address);
  if (silent) throw new CommandFailed(silent);
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

/** What parseArgs returns for these options, named so the declaration build can write it out. */
type Parsed<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

export function parse<const T extends OptionsConfig>(argv: string[], options: T, positionals = 0): Parsed<T> {
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

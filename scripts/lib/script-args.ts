/**
 * The flags `npm run stack` and `npm run demo` share (the same local stack, started the same way), and
 * how both treat a bad one: one line naming it, then the usage, exit 2 — never a parseArgs stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import path from 'node:path';
import { projectRoot } from './temporal-cli.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface StackFlags {
  /** Temporal gRPC port; undefined: the script's default. 0 picks a free one. */
  port?: number;
  uiPort?: number;
  emulatorPort: number;
  timeScale: number;
  stateDir: string;
  keepData: boolean;
  verbose: boolean;
}

const STACK_OPTIONS = {
  port: { type: 'string' },
  'ui-port': { type: 'string' },
  'emulator-port': { type: 'string' },
  'time-scale': { type: 'string' },
  'state-dir': { type: 'string' },
  'keep-data': { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

/** The shared flags' lines for a script's usage text. */
export const STACK_FLAGS_USAGE = `  --port N             Temporal gRPC port (0: any free port)
  --ui-port N          Temporal Web UI port (0: any free port)
  --emulator-port N    the Databricks emulator's port (default 0: any free port)
  --time-scale N       the emulator's clock runs N times faster (default 1)
  --state-dir DIR      where the SQLite database, emulator state and stack.env live (default .lakeloop/)
  --keep-data          keep the database and emulator state of the previous run
  --verbose            print the Temporal server's own output
  -h, --help           show this text`;

export class ScriptUsageError extends Error {}

/** Node's parseArgs messages, shortened to the part a person needs. */
function plainMessage(err: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${quoted ?? err.message}`;
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument "${quoted ?? ''}"`;
  return err.message.split('\n')[0]!;
}

function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new ScriptUsageError(`--${name}: expected a port number from 0 to 65535 (got "${value}")`);
  return port;
}

/** Parses the shared flags plus the script's own; throws ScriptUsageError for anything it cannot use. */
export function parseScriptArgs<const T extends Options>(argv: string[], own: T) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...STACK_OPTIONS, ...own },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new ScriptUsageError(plainMessage(err as Error & { code?: string }));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const timeScaleText = (values['time-scale'] as string | undefined) ?? '1';
  const timeScale = Number(timeScaleText);
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new ScriptUsageError(`--time-scale: expected a positive number (got "${timeScaleText}")`);
  const flags: StackFlags = {
    port: portFlag('port', values.port as string | undefined),
    uiPort: portFlag('ui-port', values['ui-port'] as string | undefined),
    emulatorPort: portFlag('emulator-port', values['emulator-port'] as string | undefined) ?? 0,
    timeScale,
    stateDir: path.resolve(
      (values['state-dir'] as string | undefined) ?? path.join(projectRoot, '.lakeloop'),
    ),
    keepData: values['keep-data'] === true,
    verbose: values.verbose === true,
  };
  return { flags, values: parsed.values, help: values.help === true };
}

/**
 * parseScriptArgs for a script's entry point: --help prints the usage (exit 0); a bad flag prints one
 * line and the usage on stderr (exit 2).
 */
export function scriptArgsOrExit<const T extends Options>(
  command: string,
  usage: string,
  argv: string[],
  own: T,
): ReturnType<typeof parseScriptArgs<T>> {
  try {
    const parsed = parseScriptArgs(argv, own);
    if (parsed.help) {
      console.log(usage);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    if (!(err instanceof ScriptUsageError)) throw err;
    console.error(`${command}: ${err.message}\n${usage}`);
    process.exit(2);
  }
}

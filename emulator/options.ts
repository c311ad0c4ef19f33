/**
 * Everything that configures one emulator instance, with the defaults the CLI and `startEmulator`
 * share. Durations here are *emulated* milliseconds unless the name says otherwise.
 */
export interface EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Personal access tokens accepted as `Authorization: Bearer <token>`. At least one is required. */
  pats: string[];
  /** The user every PAT authenticates as (creator_user_name, run_as_user_name). */
  principal?: string;
  /** Emulated time runs this many times faster than wall-clock time. */
  timeScale?: number;
  /** Persist the workspace to this JSON file (atomic, debounced) and resume from it on start. */
  statePath?: string;
  /** Shown in run_page_url (`?o=`), host metadata and webhook payloads. */
  workspaceId?: string;
  /** How long a task without a matching scenario rule takes, in emulated ms. */
  defaultTaskDurationMs?: number;
  /** Interpreter for local spark_python_task files. */
  python?: string;
  /** Keep at most this many bytes of a Python task's stdout/stderr (the tail), like Databricks' 5 MB. */
  maxLogBytes?: number;
  /** Seed for fault probabilities, so a flaky-network test replays identically. */
  seed?: number;
  /** JSON type of run_id/job_id/workspace_id in webhook payloads (reference §4 marks this [U]). */
  webhookIdFormat?: 'string' | 'number';
  /**
   * life_cycle_state of a parent run whose tasks failed. Databricks documents TERMINATED; the
   * databricks/cli fake measured INTERNAL_ERROR on serverless (reference §1.5). Both are possible.
   */
  failedRunLifeCycle?: 'TERMINATED' | 'INTERNAL_ERROR';
  /** Webhook delivery attempts (first try included) and the backoff between them, in real ms. */
  webhookMaxAttempts?: number;
  webhookInitialBackoffMs?: number;
  /** Wait at least this long (real ms) after a change before writing the state file. */
  persistDebounceMs?: number;
  /** Print one line per API request (method, path, status; never headers). */
  verbose?: boolean;
  /** Where log lines go; defaults to stderr. */
  log?: (line: string) => void;
}

export type ResolvedOptions = Required<Omit<EmulatorOptions, 'statePath' | 'seed'>> &
  Pick<EmulatorOptions, 'statePath' | 'seed'>;

export const DEFAULT_PRINCIPAL = 'emulator-user@localhost';
export const DEFAULT_WORKSPACE_ID = '1234567890123456';

export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const pats = options.pats.filter((pat) => pat.length > 0);
  if (pats.length === 0) {
    throw new Error('the emulator needs at least one credential source: pass --pat TOKEN or --pat-file FILE');
  }
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new Error('timeScale must be a positive number');
  return {
    port: options.port ?? 0,
    pats,
    principal: options.principal ?? DEFAULT_PRINCIPAL,
    timeScale,
    statePath: options.statePath,
    workspaceId: options.workspaceId ?? DEFAULT_WORKSPACE_ID,
    defaultTaskDurationMs: options.defaultTaskDurationMs ?? 1000,
    python: options.python ?? 'python3',
    maxLogBytes: options.maxLogBytes ?? 5 * 1024 * 1024,
    seed: options.seed,
    webhookIdFormat: options.webhookIdFormat ?? 'string',
    failedRunLifeCycle: options.failedRunLifeCycle ?? 'TERMINATED',
    webhookMaxAttempts: options.webhookMaxAttempts ?? 5,
    webhookInitialBackoffMs: options.webhookInitialBackoffMs ?? 200,
    persistDebounceMs: options.persistDebounceMs ?? 250,
    verbose: options.verbose ?? false,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
}

/**
 * Lakeloop's entry points (`npm run worker`, `npm run webhooks`) as real child processes, configured
 * only through their environment, against the suite's dev server — for tests that kill, stop or scrape
 * them. Everything they print is kept for assertions and for the secrets sweep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';
import { PAT, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { openTestOutput, recordSecretEnv } from './secrets-ledger.js';
import { testWorkflowBundlePath } from './temporal.js';

export interface LakeloopProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
}
export type WorkerProcess = LakeloopProcess;

/** The environment every child starts from: the suite's dev server, no local stack.env. */
function baseEnv(): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS,
    LAKELOOP_STACK_ENV: 'off',
  };
}

/**
 * Starts `entry` (relative to the project root, run from source through tsx) with `env` on top of the
 * base environment and resolves once it has printed `readyText`; fails with its output if it exits first.
 */
export function startLakeloopProcess(
  name: string,
  entry: string,
  env: Record<string, string | undefined>,
  readyText: string,
): Promise<LakeloopProcess> {
  return startNodeProcess(name, ['--import', 'tsx', path.join(projectRoot, entry)], env, readyText);
}

/**
 * Starts `node ...nodeArgs` in `cwd` (default: the project root) — e.g. compiled JavaScript of the
 * packed package or of a project that installed it — like {@link startLakeloopProcess}.
 */
export async function startNodeProcess(
  name: string,
  nodeArgs: string[],
  env: Record<string, string | undefined>,
  readyText: string,
  cwd = projectRoot,
): Promise<LakeloopProcess> {
  const fullEnv = { ...baseEnv(), ...env };
  recordSecretEnv(name, fullEnv);
  const child = spawn(process.execPath, nodeArgs, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: fullEnv });
  // Everything it prints also goes to the secrets sweep's output files.
  const recordOutput = openTestOutput(name);
  let text = '';
  const onOutput = (d: Buffer) => {
    const chunk = d.toString();
    text += chunk;
    recordOutput(chunk);
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  await waitFor(
    async () => text,
    (t) => {
      if (child.exitCode !== null) throw new Error(`${name} exited early:\n${t}`);
      return t.includes(readyText);
    },
    { timeoutMs: 30_000, what: `${name} to print "${readyText}"` },
  );
  return { child, output: () => text };
}

export function startWorkerProcess(
  emulator: TestEmulator,
  taskQueue: string,
  extraEnv: Record<string, string> = {},
): Promise<WorkerProcess> {
  return startLakeloopProcess(
    `worker process ${taskQueue}`,
    'src/worker.ts',
    {
      LAKELOOP_TASK_QUEUE: taskQueue,
      LAKELOOP_LOG_LEVEL: 'WARN',
      LAKELOOP_WORKFLOW_BUNDLE: testWorkflowBundlePath(),
      DATABRICKS_HOST: emulator.url,
      DATABRICKS_TOKEN: PAT,
      // No orphan-reaper Schedule left behind on the shared dev server unless a test asks for one.
      LAKELOOP_REAPER_INTERVAL: 'off',
      ...extraEnv,
    },
    'lakeloop worker polling',
  );
}

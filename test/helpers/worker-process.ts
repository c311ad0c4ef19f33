/**
 * `npm run worker` as a real child process, configured only through its environment, against the
 * suite's dev server and an emulator — for tests that kill or stop the worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';
import { PAT, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { openTestOutput, recordSecretEnv } from './secrets-ledger.js';
import { testWorkflowBundlePath } from './temporal.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
}

export async function startWorkerProcess(
  emulator: TestEmulator,
  taskQueue: string,
  extraEnv: Record<string, string> = {},
): Promise<WorkerProcess> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS,
    LAKELOOP_STACK_ENV: 'off',
    LAKELOOP_TASK_QUEUE: taskQueue,
    LAKELOOP_LOG_LEVEL: 'WARN',
    LAKELOOP_WORKFLOW_BUNDLE: testWorkflowBundlePath(),
    DATABRICKS_HOST: emulator.url,
    DATABRICKS_TOKEN: PAT,
    ...extraEnv,
  };
  recordSecretEnv('a worker process', env);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src/worker.ts')], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  // Everything it prints also goes to the secrets sweep's output files.
  const recordOutput = openTestOutput(`worker process ${taskQueue}`);
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
      if (child.exitCode !== null) throw new Error(`worker exited early:\n${t}`);
      return t.includes('lakeloop worker polling');
    },
    { timeoutMs: 30_000, what: 'the worker to start polling' },
  );
  return { child, output: () => text };
}

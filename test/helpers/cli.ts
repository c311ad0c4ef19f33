/** Running the `lakeloop` CLI's main() in-process: captured console output and an environment that points it at the test server. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, jest } from '@jest/globals';
import { main } from '../../src/client/main.js';
import { recordTestOutput } from './secrets-ledger.js';

export interface CapturedConsole {
  out: string[];
  err: string[];
}

/** Registers hooks that capture console.log / console.error for each test of the calling suite. */
export function captureConsole(): CapturedConsole {
  const captured: CapturedConsole = { out: [], err: [] };
  beforeEach(() => {
    captured.out.length = 0;
    captured.err.length = 0;
    // Every line also goes to the secrets sweep's output files.
    const capture =
      (lines: string[], stream: string) =>
      (...a: unknown[]) => {
        lines.push(a.join(' '));
        recordTestOutput('lakeloop CLI output', `${stream}: ${a.join(' ')}`);
      };
    jest.spyOn(console, 'log').mockImplementation(capture(captured.out, 'stdout'));
    jest.spyOn(console, 'error').mockImplementation(capture(captured.err, 'stderr'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  return captured;
}

/** Runs the CLI's main() with `argv`, returning its exit code and what it printed (through `captured`). */
export function cliRunner(captured: CapturedConsole) {
  return async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    captured.out.length = 0;
    captured.err.length = 0;
    const code = await main(argv);
    return { code, out: captured.out.join('\n'), err: captured.err.join('\n') };
  };
}

/**
 * Points the CLI at the suite's dev server and `taskQueue` through the environment, as a user would;
 * an empty Temporal profile keeps the machine's own config out. Returns a function that restores it.
 */
export function pointCliAtTestServer(taskQueue?: string): () => void {
  const saved = { ...process.env };
  const profile = path.join(mkdtempSync(path.join(os.tmpdir(), 'lakeloop-cli-')), 'temporal.toml');
  writeFileSync(profile, '[profile.default]\n');
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS,
    TEMPORAL_CONFIG_FILE: profile,
    LAKELOOP_STACK_ENV: 'off',
    ...(taskQueue ? { LAKELOOP_TASK_QUEUE: taskQueue } : {}),
  });
  return () => {
    process.env = saved;
  };
}

/** A one-task `--submit` file named after its run, in `dir`: what `lakeloop run --submit` reads. */
export function writeSubmitFile(dir: string, runName: string): string {
  const file = path.join(dir, `${runName}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      run_name: runName,
      tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
    }),
  );
  return file;
}

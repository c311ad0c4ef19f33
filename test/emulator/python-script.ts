/**
 * Running a script of test/conformance/ with the project's Python venv (the official Databricks SDK
 * installed), given only the environment it needs (plus PATH and HOME): the conformance tests' way of
 * letting a client nobody here wrote drive the emulator.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../scripts/python-venv.js';

export function runConformanceScript(
  python: string,
  script: string,
  env: Record<string, string>,
  timeoutMs = 4 * 60_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      python,
      [path.join(projectRoot, 'test', 'conformance', script)],
      {
        cwd: projectRoot,
        timeout: timeoutMs,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (child.exitCode ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

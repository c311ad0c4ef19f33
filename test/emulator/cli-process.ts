/**
 * `npm run emulator -- …` as a child process (exactly what that script runs: node --import tsx
 * emulator/main.ts — one process, so a signal reaches the emulator itself), resolved once it prints
 * its listening line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../scripts/python-venv.js';
import { openTestOutput, recordTestSecret } from '../helpers/secrets-ledger.js';

const EMULATOR = ['--import', 'tsx', path.join(projectRoot, 'emulator', 'main.ts')];

export interface EmulatorProcess {
  child: ChildProcess;
  url: string;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * The credentials given on the command line, for the secrets sweep (files given with --pat-file and
 * --service-principal-file are the test's to record).
 */
function recordCliSecrets(args: readonly string[]): void {
  args.forEach((arg, i) => {
    const value = args[i + 1];
    if (arg === '--pat') recordTestSecret('an emulator CLI --pat', value);
    // ID:SECRET[:DISPLAY NAME]
    if (arg === '--service-principal')
      recordTestSecret('an emulator CLI service principal secret', value?.split(':')[1]);
  });
}

export function startCli(args: string[]): Promise<EmulatorProcess> {
  recordCliSecrets(args);
  const child = spawn(process.execPath, [...EMULATOR, ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const recordOutput = openTestOutput('emulator CLI process');
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    recordOutput(`stderr: ${line}\n`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      recordOutput(`stdout: ${line}\n`);
      const match = /^emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (match) resolve({ child, url: match[1]!, stdout, stderr, exited, stop });
    });
    void exited.then((code) => reject(new Error(`emulator exited with ${code}: ${stderr.join('\n')}`)));
  });
}

/** Runs the CLI to completion (for flags that make it refuse to start). */
export async function runCli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  recordCliSecrets(args);
  const child = spawn(process.execPath, [...EMULATOR, ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  openTestOutput('emulator CLI process (run to completion)')(`${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

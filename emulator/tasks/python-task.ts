/**
 * Really running a spark_python_task whose python_file is on this machine: the interpreter gets the
 * file and its parameters as argv, DATABRICKS_HOST / DATABRICKS_TOKEN pointing back at the emulator,
 * and LAKELOOP_TASK_OUTPUT naming a file whose last non-empty line becomes notebook_output.result.
 * stdout and stderr together become the task's logs (tail kept, truncation flagged); the exit code
 * decides the result. Each process leads its own process group so a cancel kills what it spawned too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogTail } from './log-tail.js';

export interface PythonLaunch {
  taskRunId: number;
  python: string;
  file: string;
  args: string[];
  env: Record<string, string>;
  maxLogBytes: number;
}

export interface PythonExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the interpreter could not be started at all. */
  spawnError?: string;
  logs: string;
  logsTruncated: boolean;
  /** The tail of stderr alone: the traceback of a failed script. */
  stderrTail: string;
  notebookResult?: string;
}

/** What the output file may hold; Databricks keeps the first 5 MB of a notebook's exit value. */
const MAX_RESULT_BYTES = 5 * 1024 * 1024;
const STDERR_TAIL_BYTES = 64 * 1024;
const KILL_GRACE_MS = 2000;

/** The local file a python_file names, or undefined if it names a workspace/cloud path. */
export function localPythonFile(pythonFile: string, cwd = process.cwd()): string | undefined {
  if (pythonFile.startsWith('file:')) {
    try {
      return fileURLToPath(pythonFile);
    } catch {
      return undefined;
    }
  }
  // dbfs:/, s3://, abfss:// … are not on this machine.
  if (/^[a-z][a-z0-9+.-]*:/i.test(pythonFile)) return undefined;
  const candidate = path.resolve(cwd, pythonFile);
  try {
    return existsSync(candidate) && statSync(candidate).isFile() ? candidate : undefined;
  } catch {
    return undefined;
  }
}

export class PythonTaskRunner {
  private readonly running = new Map<number, { child: ChildProcess; exited: Promise<void> }>();
  private readonly outputDir = path.join(tmpdir(), `lakeloop-emulator-${process.pid}`);

  get activeCount(): number {
    return this.running.size;
  }

  launch(launch: PythonLaunch, onExit: (exit: PythonExit) => void): void {
    mkdirSync(this.outputDir, { recursive: true });
    const outputFile = path.join(this.outputDir, `task-${launch.taskRunId}-${Date.now()}.out`);
    const logs = new LogTail(launch.maxLogBytes);
    const stderr = new LogTail(STDERR_TAIL_BYTES);
    let spawnError: string | undefined;

    const child = spawn(launch.python, ['-u', launch.file, ...launch.args], {
      cwd: path.dirname(launch.file),
      env: { ...inheritedEnv(), ...launch.env, LAKELOOP_TASK_OUTPUT: outputFile, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.on('data', (chunk: Buffer) => logs.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      logs.push(chunk);
      stderr.push(chunk);
    });
    child.on('error', (error) => {
      spawnError = `Could not start ${launch.python}: ${error.message}`;
    });
    const exited = new Promise<void>((resolve) => {
      child.on('close', (exitCode, signal) => {
        this.running.delete(launch.taskRunId);
        const notebookResult = readResult(outputFile);
        onExit({
          exitCode,
          signal,
          ...(spawnError ? { spawnError } : {}),
          logs: logs.text(),
          logsTruncated: logs.truncated,
          stderrTail: stderr.text(),
          ...(notebookResult !== undefined ? { notebookResult } : {}),
        });
        resolve();
      });
    });
    this.running.set(launch.taskRunId, { child, exited });
  }

  /** SIGTERM the task's process group, SIGKILL it if it is still there after a grace period. */
  kill(taskRunId: number): void {
    const entry = this.running.get(taskRunId);
    if (!entry) return;
    signalGroup(entry.child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(entry.child, 'SIGKILL'), KILL_GRACE_MS);
    timer.unref();
    void entry.exited.then(() => clearTimeout(timer));
  }

  /** Kill every task process (the control API's reset); the processes exit asynchronously. */
  killAll(): Promise<void> {
    const pending = [...this.running.entries()].map(([id, entry]) => {
      this.kill(id);
      return entry.exited;
    });
    return Promise.all(pending).then(() => undefined);
  }

  /** Kill every task process, wait until they are gone, and remove their files (emulator shutdown). */
  async stopAll(): Promise<void> {
    await this.killAll();
    rmSync(this.outputDir, { recursive: true, force: true });
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * The emulator's own environment minus any Databricks credentials: the payload must authenticate with
 * exactly the host and token we give it, and the SDK refuses to start when it sees two auth methods.
 */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('DATABRICKS_')) env[key] = value;
  }
  return env;
}

function readResult(file: string): string | undefined {
  try {
    const text = readFileSync(file).subarray(0, MAX_RESULT_BYTES).toString('utf8');
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
    return lines[lines.length - 1];
  } catch {
    return undefined;
  } finally {
    rmSync(file, { force: true });
  }
}

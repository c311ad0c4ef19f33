/**
 * Child processes for the local stack: started with their output prefixed, stopped with SIGTERM
 * (then SIGKILL after a grace period), and never left behind when the stack exits.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** The last lines the process wrote, for error messages. */
  recentOutput(): string[];
  /** Signals the process (its whole group when it was started detached). */
  kill(signal: NodeJS.Signals): void;
  stop(graceMs?: number): Promise<void>;
}

export interface StartProcessOptions extends SpawnOptions {
  /**
   * true: print each output line as "[name] line"; 'stderr': pass its stderr lines through to ours
   * as they are; otherwise keep the output only for error messages.
   */
  echo?: boolean | 'stderr';
}

const live = new Set<ManagedProcess>();

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: StartProcessOptions = {},
): ManagedProcess {
  const { echo = false, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      if (echo === true) console.log(`[${name}] ${line}`);
      else if (echo === 'stderr' && stream === child.stderr) process.stderr.write(`${line}\n`);
    });
  }
  // A process in a group of its own is stopped with its group (e.g. the emulator's task processes).
  const signal = (sig: NodeJS.Signals) => {
    if (spawnOptions.detached && child.pid !== undefined) {
      try {
        process.kill(-child.pid, sig);
        return;
      } catch {
        // The group is gone already; fall back to the process itself.
      }
    }
    child.kill(sig);
  };
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => {
      recent.push(err.message);
      resolve('spawn-error');
    });
  });
  const managed: ManagedProcess = {
    name,
    child,
    kill: signal,
    exited,
    recentOutput: () => [...recent],
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        signal('SIGTERM');
        const timer = setTimeout(() => signal('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      live.delete(managed);
    },
  };
  live.add(managed);
  void exited.then(() => live.delete(managed));
  return managed;
}

/** Last-resort cleanup when our own process exits abruptly: SIGKILL whatever is still running. */
process.once('exit', () => {
  for (const managed of live) managed.kill('SIGKILL');
});

/** True when nothing listens on 127.0.0.1:port. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now (there is a small race until someone binds it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

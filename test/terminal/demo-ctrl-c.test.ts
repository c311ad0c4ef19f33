/**
 * The demo and the stack as a person runs them from a terminal: `npm run demo -- …` in a process group
 * of its own (a shell's job), then Ctrl-C — SIGINT to the whole group, which npm also forwards to the
 * demo a second time. The demo must stop everything once, remove its stack.env and say "stopped";
 * after that the CLI must not find a stack that is gone. Its live view must not drop a pipeline's last
 * step. Bad flags exit 2 with one line and the usage.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `npm run SCRIPT -- args` as a shell job: its own process group, output collected. */
function startJob(script: string, args: string[]) {
  const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
    cwd: projectRoot,
    detached: true, // a new process group, as a shell puts each job in one
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => output };
}

describe('Ctrl-C and flags, from a terminal', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-ctrl-c-'));
  const started: ChildProcess[] = [];
  afterAll(() => {
    // Only what this test started, by process group, if a failed assertion left it running.
    for (const child of started) if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  test.each([
    ['demo', '--port=7233x', '--port: expected a port number from 0 to 65535 (got "7233x")'],
    ['demo', '--no-such-flag', 'unknown flag --no-such-flag'],
    ['stack', '--keep', 'unknown flag --keep'],
    ['stack', 'now', 'unexpected argument "now"'],
  ])('npm run %s -- %s: exit 2, one line, then the usage', (script, flag, message) => {
    const run = spawnSync('npm', ['run', '--silent', script, '--', flag], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    const [first, second] = run.stderr.split('\n');
    expect(first).toBe(`npm run ${script}: ${message}`);
    expect(second).toBe(`usage: npm run ${script} -- [flags]`);
    expect(run.stderr).toContain('--emulator-port N');
    expect(run.stderr).not.toMatch(/ERR_PARSE_ARGS|\n\s+at /);
  });

  test('npm run demo -- --keep --port 0 …: Ctrl-C stops it once, cleanly, and removes stack.env', async () => {
    const demo = startJob('demo', ['--keep', '--port', '0', '--ui-port', '0', '--state-dir', stateDir]);
    started.push(demo.child);
    await waitFor(
      'the demo to finish its runs and keep the stack up',
      () => {
        if (demo.child.exitCode !== null) throw new Error(`the demo exited early:\n${demo.output()}`);
        return demo.output().includes('--keep: the stack stays up') ? true : undefined;
      },
      240_000,
    );
    // The live view of each pipeline night ends with its last step, and no line ends in padding.
    expect(
      demo.output().match(/^ {4}score {5}succeeded — scored with main\.ml\.churn version 1/gm),
    ).toHaveLength(2);
    expect(demo.output()).not.toMatch(/ +$/m);
    const stackEnv = path.join(stateDir, 'stack.env');
    const address = /^TEMPORAL_ADDRESS=(.+)$/m.exec(readFileSync(stackEnv, 'utf8'))![1]!;
    // --port 0 chose a free port, not 7233.
    expect(demo.output()).toContain(`Temporal gRPC          ${address}`);
    const pids = [...demo.output().matchAll(/(?:Temporal server|Worker) +pid (\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);

    process.kill(-demo.child.pid!, 'SIGINT'); // Ctrl-C: the whole foreground group
    const { code, signal } = await demo.exited;
    const output = demo.output();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(output.match(/stopping the local stack/g)).toHaveLength(1);
    expect(output).toMatch(/local stack stopped\.\n.*demo finished\./);
    expect(existsSync(stackEnv)).toBe(false);
    await waitFor(
      'the server and the worker to be gone',
      () => (pids.some(alive) ? undefined : true),
      20_000,
    );

    // Nothing claims that stack any more: the CLI finds no settings file and nothing at the address…
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/client/cli.ts', 'list', '--json'], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, LAKELOOP_STACK_ENV: stackEnv, TEMPORAL_ADDRESS: address },
    });
    expect(cli.status).toBe(1);
    // …and says so at once, with what to do, rather than after the SDK's 10 s connect deadline.
    expect(JSON.parse(cli.stdout)).toEqual({
      error:
        `no Temporal server answers at ${address}: start the local stack with \`npm run stack\`, ` +
        'or point TEMPORAL_ADDRESS (or TEMPORAL_PROFILE) at your server',
    });
  }, 300_000);
});

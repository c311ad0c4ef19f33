/**
 * `npm run stack -- --cluster` as a user runs it: the real Temporal server (built from the Go module
 * proxy, cached) on PostgreSQL 15 with data in the state dir, and the Web UI's own server. Five
 * databricksRun workflows run through the stack's own worker against its emulator to SUCCESS; the
 * server names PostgreSQL as its persistence and visibility store; the UI lists the workflows; SIGTERM to npm leaves none of the processes the stack started;
 * a restart with --keep-data still lists the earlier workflows.
 *
 * The first run on a machine builds the server (minutes): done here before the stack starts, so the
 * stack's start is timed on the cache. A build the module proxy refuses skips the test with a message
 * (nothing here can fix the registry); any other build failure fails it, in CI and elsewhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startRun } from '../../src/client/commands/runs.js';
import { connectClient, type LakeloopClient } from '../../src/client/connect.js';
import { environmentWithStack, loadConfig } from '../../src/config/index.js';
import { waitFor } from '../emulator/helpers.js';
import {
  ensureTemporalServer,
  ModuleProxyRefusedError,
  serverCacheDir,
} from '../../scripts/lib/cluster/build-server.js';
import { ensureTemporalUi, uiCacheDir } from '../../scripts/lib/cluster/ui-server.js';
import { projectRoot, requireLocalCli } from '../../scripts/lib/temporal-cli.js';

const BUILD_TIMEOUT_MS = 20 * 60_000;

interface Proc {
  pid: number;
  /** Field 22 of /proc/PID/stat: tells a live process from a later one that reuses its PID. */
  startTime: string;
  comm: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "PID (comm) S PPID …": comm may hold spaces and parentheses; the fields after it do not.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every process descended from `root` (its own process groups included: they keep their parent). */
function descendants(root: number): Proc[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: Proc[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const proc = readProc(pid);
    if (proc) found.push(proc);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

const stillAlive = (procs: Proc[]) => procs.filter((p) => readProc(p.pid)?.startTime === p.startTime);

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

interface StackRun {
  npm: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  address: string;
}

async function startClusterStack(stateDir: string, keepData: boolean): Promise<StackRun> {
  const started = Date.now();
  const npm = spawn(
    'npm',
    [
      'run',
      'stack',
      '--',
      '--cluster',
      '--port',
      '0',
      '--ui-port',
      '0',
      '--state-dir',
      stateDir,
      ...(keepData ? ['--keep-data'] : []),
    ],
    // Not inheriting the suite's Temporal settings: the stack writes its own into stack.env.
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const address = (await waitFor(
    async () => {
      if (npm.exitCode !== null) throw new Error(`npm run stack -- --cluster exited early:\n${output}`);
      return output.includes('Press Ctrl-C to stop.') ? /Temporal gRPC\s+(\S+)/.exec(output)?.[1] : undefined;
    },
    (found) => found !== undefined,
    { timeoutMs: 150_000, intervalMs: 200, what: 'the cluster stack to print its address' },
  ))!;
  const startMs = Date.now() - started;
  console.log(
    `cluster stack up in ${(startMs / 1000).toFixed(1)} s${keepData ? ' (--keep-data)' : ''}; ` +
      (/Temporal cluster ready: .*/.exec(output)?.[0] ?? ''),
  );
  return { npm, output: () => output, exited, address };
}

/** SIGTERM to npm, as a process manager stops it; resolves once every process it started is gone. */
async function stopAndCheck(run: StackRun): Promise<void> {
  const started = descendants(run.npm.pid!);
  const names = new Set(started.map((p) => p.comm));
  // The server, the UI (comm is cut at 15 characters), PostgreSQL (postmaster and backends) and the
  // worker are all below npm.
  expect([...names]).toEqual(expect.arrayContaining(['temporal-server', 'temporal-ui-ser', 'postgres']));
  run.npm.kill('SIGTERM');
  expect(await run.exited).toBe(0);
  await waitFor(
    async () => stillAlive(started),
    (alive) => alive.length === 0,
    { timeoutMs: 30_000, intervalMs: 200, what: 'every process of the stack to exit' },
  );
  expect(run.output()).toContain('local stack stopped');
}

/** The client configuration the stack's settings file gives (read as `lakeloop` reads it). */
function stackClientConfig(stateDir: string) {
  const { TEMPORAL_ADDRESS: _address, TEMPORAL_NAMESPACE: _namespace, ...rest } = process.env;
  return loadConfig(environmentWithStack({ ...rest, LAKELOOP_STACK_ENV: path.join(stateDir, 'stack.env') }));
}

describe('npm run stack -- --cluster', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-cluster-test-'));
  // As root, PostgreSQL runs as `postgres`, which must reach <stateDir>/postgres (mkdtemp makes 0700).
  chmodSync(stateDir, 0o711);
  let skipReason: string | undefined;
  const running: StackRun[] = [];

  beforeAll(async () => {
    const cached = existsSync(path.join(serverCacheDir(), 'complete'));
    try {
      const build = await ensureTemporalServer({ log: (line) => console.log(line) });
      console.log(
        cached
          ? `Temporal server ${build.version}: cached in ${serverCacheDir()}`
          : `Temporal server ${build.version}: first build took ${build.buildSeconds} s`,
      );
      const uiCached = existsSync(path.join(uiCacheDir(), 'complete'));
      const ui = await ensureTemporalUi({ log: (line) => console.log(line) });
      console.log(
        uiCached
          ? `Temporal Web UI ${ui.version}: cached in ${uiCacheDir()}`
          : `Temporal Web UI ${ui.version}: first build took ${ui.buildSeconds} s`,
      );
    } catch (err) {
      if (!(err instanceof ModuleProxyRefusedError)) throw err;
      skipReason = `SKIPPED: the Go module proxy refused a module the Temporal server build needs:\n${err.message}`;
      console.warn(skipReason);
    }
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    for (const run of running) {
      if (run.npm.exitCode === null) {
        for (const proc of descendants(run.npm.pid!)) process.kill(proc.pid, 'SIGKILL');
        run.npm.kill('SIGKILL');
      }
    }
    // The data dir belongs to `postgres`; root removes it all the same.
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('runs workflows on PostgreSQL, stops every process on SIGTERM, keeps the data', async () => {
    if (skipReason) return;
    const workflowIds: string[] = [];

    const first = await startClusterStack(stateDir, false);
    running.push(first);
    let lakeloop: LakeloopClient | undefined = await connectClient(stackClientConfig(stateDir));
    try {
      const serverPid = Number(/Temporal server\s+\S+, pid (\d+)/.exec(first.output())?.[1]);
      const pgPid = Number(/PostgreSQL\s+\S+, pid (\d+)/.exec(first.output())?.[1]);
      console.log(
        `RSS: temporal-server ${rssMiB(serverPid)} MiB, postgres (postmaster) ${rssMiB(pgPid)} MiB`,
      );

      const described = spawnSync(
        requireLocalCli(),
        ['operator', 'cluster', 'describe', '-o', 'json', '--address', first.address],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(described.status).toBe(0);
      expect(JSON.parse(described.stdout)).toMatchObject({
        persistenceStore: 'postgres12',
        visibilityStore: 'postgres12',
        serverVersion: '1.32.1',
      });

      const handles = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          startRun(lakeloop!, {
            submit: {
              run_name: `cluster-stack-${i}`,
              tasks: [{ task_key: 'main', notebook_task: { notebook_path: `/Shared/cluster/${i}` } }],
            },
          }),
        ),
      );
      const results = await Promise.all(handles.map((h) => h.result()));
      expect(results.map((r) => r.outcome)).toEqual(Array(5).fill('SUCCESS'));
      workflowIds.push(...handles.map((h) => h.workflowId));

      // The Web UI serves the cluster's workflows: its own HTTP API, as its pages fetch them.
      const uiUrl = /Temporal Web UI\s+(http:\/\/\S+?),/.exec(first.output())?.[1];
      expect(uiUrl).toBeDefined();
      expect((await fetch(`${uiUrl}/`)).status).toBe(200);
      const listed = await waitFor(
        async () => {
          const res = await fetch(
            `${uiUrl}/api/v1/namespaces/default/workflows?query=${encodeURIComponent("WorkflowType = 'databricksRun'")}`,
          );
          const body = (await res.json()) as { executions?: Array<{ execution: { workflowId: string } }> };
          return (body.executions ?? []).map((e) => e.execution.workflowId);
        },
        (ids) => workflowIds.every((id) => ids.includes(id)),
        { timeoutMs: 30_000, intervalMs: 500, what: 'the Web UI to list the five workflows' },
      );
      expect(listed).toEqual(expect.arrayContaining(workflowIds));
    } finally {
      await lakeloop.close();
      lakeloop = undefined;
    }
    await stopAndCheck(first);
    expect(existsSync(path.join(stateDir, 'stack.env'))).toBe(false);

    const second = await startClusterStack(stateDir, true);
    running.push(second);
    lakeloop = await connectClient(stackClientConfig(stateDir));
    try {
      const listed = new Map<string, string>();
      // Visibility is written asynchronously; the rows were written before the first stop.
      for await (const execution of lakeloop.client.workflow.list({
        query: "WorkflowType = 'databricksRun'",
      })) {
        listed.set(execution.workflowId, execution.status.name);
      }
      expect(Object.fromEntries(workflowIds.map((id) => [id, listed.get(id)]))).toEqual(
        Object.fromEntries(workflowIds.map((id) => [id, 'COMPLETED'])),
      );
    } finally {
      await lakeloop.close();
    }
    await stopAndCheck(second);
  }, 600_000);
});

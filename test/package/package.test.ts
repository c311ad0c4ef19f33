/**
 * The package a Temporal user installs (issue #18): what `npm pack` puts in it, a production install
 * of it as the Dockerfile makes one, and a project of its own (examples/existing-worker) that installs
 * the tarball, type-checks against its declarations, bundles Lakeloop's workflows into its own worker
 * and runs databricksRun as a child of its own workflow — against the suite's dev server and a real
 * emulator over HTTP.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';
import { createJob, PAT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { openTestOutput } from '../helpers/secrets-ledger.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { startNodeProcess, type LakeloopProcess } from '../helpers/worker-process.js';
import { buildAndPack, sh, type PackedPackage } from './packed-package.js';

/** Build and installs run npm and tsc: minutes on a loaded two-core machine, not seconds. */
const SLOW = 300_000;

/** Packages that only build, test or lint Lakeloop; none may be in a production install. */
const DEV_ONLY = ['tsx', 'typescript', 'jest', 'ts-jest', '@temporalio/testing', 'yaml', 'eslint', 'typedoc'];

/** Starts with SIGTERM sent; resolves with the exit code once the process has exited. */
function stop(proc: LakeloopProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.child.exitCode !== null) return resolve(proc.child.exitCode);
    proc.child.once('exit', (code) => resolve(code));
    proc.child.kill('SIGTERM');
  });
}

/** An env for a child that keeps the machine's own Temporal profile out (as test/helpers/cli.ts). */
function emptyTemporalProfile(dir: string): string {
  const file = path.join(dir, 'temporal.toml');
  writeFileSync(file, '[profile.default]\n');
  return file;
}

describe('the packed package', () => {
  let packed: PackedPackage;
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  const temporaryDirs: string[] = [];
  const tempDir = (prefix: string): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    temporaryDirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    [packed, env, emulator] = await Promise.all([buildAndPack(), connectToTestServer(), startTestEmulator()]);
    temporaryDirs.push(packed.staging);
  }, SLOW);
  afterAll(async () => {
    await emulator?.close();
    await env?.teardown();
    for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
  });

  test('ships compiled JavaScript with declarations for every entry point, and no sources or tests', () => {
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
      private?: boolean;
      exports: Record<string, string | { types: string; default: string }>;
      bin: Record<string, string>;
    };
    expect(pkg.private).toBeUndefined();
    const shipped = new Set(packed.files);
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const files = typeof target === 'string' ? [target] : [target.types, target.default];
      for (const file of files)
        expect(`${subpath} → ${file}: ${shipped.has(path.normalize(file))}`).toBe(
          `${subpath} → ${file}: true`,
        );
    }
    expect(Object.keys(pkg.exports)).toEqual(
      expect.arrayContaining(['.', './workflows', './activities', './client', './worker']),
    );
    for (const bin of Object.values(pkg.bin)) expect(shipped.has(path.normalize(bin))).toBe(true);
    expect(shipped.has('lib/scripts/build-workflow-bundle.js')).toBe(true);
    // TypeScript sources, tests, the emulator and the other scripts stay out of the package.
    expect(packed.files.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f))).toEqual([]);
    expect(packed.files.filter((f) => /^(src|test|emulator|scripts|bench|examples)\//.test(f))).toEqual([]);
    console.log(`npm pack: ${packed.files.length} files, ${(packed.size / 1024).toFixed(0)} KiB`);
  });

  test(
    'a production install (npm ci --omit=dev, as the Dockerfile does) has no dev tools and runs the CLI and the worker',
    async () => {
      const app = tempDir('lakeloop-prod-');
      for (const entry of ['package.json', 'package-lock.json', 'lib'])
        cpSync(path.join(packed.staging, entry), path.join(app, entry), { recursive: true });
      // --ignore-scripts: `prepare` compiles TypeScript, which a production install has neither the
      // compiler nor the sources for (the Dockerfile copies lib/ from its build stage the same way).
      await sh('npm', ['ci', '--omit=dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], {
        cwd: app,
      });
      for (const name of DEV_ONLY)
        expect(`${name}: ${existsSync(path.join(app, 'node_modules', name))}`).toBe(`${name}: false`);
      const { stdout: tree } = await sh('npm', ['ls', '--omit=dev', '--all', '--parseable', '--offline'], {
        cwd: app,
      });
      const installed = tree.split('\n').map((line) => path.relative(path.join(app, 'node_modules'), line));
      for (const name of DEV_ONLY)
        expect(installed.filter((p) => p === name || p.endsWith(`/node_modules/${name}`))).toEqual([]);

      const help = await sh(process.execPath, ['lib/src/client/cli.js', '--help'], { cwd: app });
      expect(help.stdout).toMatch(/^usage: lakeloop <command>/);

      // The Dockerfile's bundle step, from compiled JavaScript (no tsx).
      await sh(process.execPath, ['lib/scripts/build-workflow-bundle.js', 'lib/workflow-bundle.js'], {
        cwd: app,
      });
      const taskQueue = uniqueTaskQueue('prod-install');
      const profile = emptyTemporalProfile(app);
      const worker = await startNodeProcess(
        `production-install worker ${taskQueue}`,
        ['lib/src/worker.js'],
        {
          NODE_ENV: 'production',
          TEMPORAL_CONFIG_FILE: profile,
          LAKELOOP_TASK_QUEUE: taskQueue,
          LAKELOOP_WORKFLOW_BUNDLE: path.join(app, 'lib/workflow-bundle.js'),
          LAKELOOP_REAPER_INTERVAL: 'off',
          DATABRICKS_HOST: emulator.url,
          DATABRICKS_TOKEN: PAT,
        },
        'lakeloop worker polling',
        app,
      );
      try {
        // The worker serves: `lakeloop doctor` (the compiled CLI) runs the health check through it.
        const doctor = await sh(process.execPath, ['lib/src/client/cli.js', 'doctor', '--json'], {
          cwd: app,
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            TEMPORAL_ADDRESS: process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS,
            TEMPORAL_CONFIG_FILE: profile,
            LAKELOOP_STACK_ENV: 'off',
            LAKELOOP_TASK_QUEUE: taskQueue,
          },
        });
        expect(JSON.parse(doctor.stdout)).toMatchObject({ worker: { taskQueue, lakeloopVersion: '0.2.0' } });
      } finally {
        expect(await stop(worker)).toBe(0);
      }
      expect(worker.output()).toContain('lakeloop worker stopped');
    },
    SLOW,
  );

  test(
    'a project of its own installs the tarball, type-checks, and runs databricksRun as a child in its own worker',
    async () => {
      const project = tempDir('lakeloop-consumer-');
      cpSync(path.join(projectRoot, 'examples/existing-worker'), project, {
        recursive: true,
        filter: (src) => !/[/\\](node_modules|dist)$/.test(src),
      });
      // Everything comes from the npm cache that `npm ci` filled; only package metadata the cache lacks
      // (a lockfile-driven install stores tarballs, not metadata) is fetched from the registry.
      await sh('npm', ['install', packed.tarball, '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: project,
      });
      // Strict type-check and build against the package's declarations, as the consumer would.
      await sh(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
        cwd: project,
      });

      const jobId = await createJob(emulator, {
        name: 'nightly-report',
        tasks: [{ task_key: 'report', notebook_task: { notebook_path: '/Repos/reports/nightly' } }],
      });
      await emulator.control('POST', '/scenarios', {
        match: { taskKey: 'report' },
        durationMs: 300,
        output: { rows: 42 },
      });
      const taskQueue = uniqueTaskQueue('consumer');
      const reportFile = path.join(project, 'reports.jsonl');
      const childEnv = {
        TEMPORAL_CONFIG_FILE: emptyTemporalProfile(project),
        LAKELOOP_TASK_QUEUE: taskQueue,
      };
      const worker = await startNodeProcess(
        `consumer example worker ${taskQueue}`,
        ['dist/worker.js'],
        { ...childEnv, REPORT_FILE: reportFile, DATABRICKS_HOST: emulator.url, DATABRICKS_TOKEN: PAT },
        'example worker polling',
        project,
      );
      const starterEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS,
        LAKELOOP_STACK_ENV: 'off',
        ...childEnv,
      };
      const record = openTestOutput(`consumer example starter ${taskQueue}`);
      try {
        const report = `nightly-${taskQueue}`;
        const started = await sh(process.execPath, ['dist/starter.js', report, String(jobId)], {
          cwd: project,
          env: starterEnv,
        });
        record(started.stdout + started.stderr);
        const { workflowId, result } = JSON.parse(started.stdout) as {
          workflowId: string;
          result: {
            run: { outcome: string; succeeded: boolean; runId: string; jobId: string; outputs: unknown[] };
            recordedIn: string;
          };
        };
        expect(workflowId).toBe(report);
        expect(result.run).toMatchObject({ outcome: 'SUCCESS', succeeded: true, jobId: String(jobId) });
        expect(result.run.outputs).toEqual([
          expect.objectContaining({ taskKey: 'report', result: '{"rows":42}' }),
        ]);
        // The project's own step ran after the child, with the child's result.
        expect(result.recordedIn).toBe(reportFile);
        expect(
          readFileSync(reportFile, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as unknown),
        ).toEqual([{ report, databricksRunId: result.run.runId, outcome: 'SUCCESS', workflowId: report }]);
        // databricksRun ran as a child workflow of the project's own, on the same worker.
        const child = await env.client.workflow.getHandle(`${report}/databricks-run`).describe();
        expect(child).toMatchObject({ type: 'databricksRun', status: { name: 'COMPLETED' }, taskQueue });
        expect(child.parentExecution?.workflowId).toBe(report);
        // …started so that a terminated parent asks it to cancel (and so cancel its Databricks run).
        const initiated = (await env.client.workflow.getHandle(report).fetchHistory()).events?.find(
          (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
        )?.startChildWorkflowExecutionInitiatedEventAttributes;
        expect(initiated?.parentClosePolicy).toBe(
          temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
        );

        // And a bare databricksRun started through lakeloop/client's typed helper.
        const bare = await sh(
          process.execPath,
          ['dist/starter.js', `${report}-bare`, String(jobId), '--lakeloop-only'],
          {
            cwd: project,
            env: starterEnv,
          },
        );
        record(bare.stdout + bare.stderr);
        expect(JSON.parse(bare.stdout)).toMatchObject({
          workflowId: `${report}-bare-run`,
          result: { outcome: 'SUCCESS', jobId: String(jobId) },
        });
      } finally {
        expect(await stop(worker)).toBe(0);
      }
      // The project's own interceptor saw Lakeloop's activities and its own.
      const counted = /activities run: (\{.*\})/.exec(worker.output());
      expect(counted).not.toBeNull();
      expect(JSON.parse(counted![1]!)).toMatchObject({ submitRun: 2, recordReport: 1 });
    },
    SLOW,
  );
});

/**
 * Rolling upgrades with Worker Deployment Versioning (issue #19): runs start on build A and wait on
 * Databricks (real tasks of the emulator that run until the test opens a gate), build B — whose
 * databricksRun really differs (test/fixtures/versioning/build-b-workflows.ts) — is deployed and made
 * Current, more runs start, the gate opens, everything completes. Which build ran each workflow task
 * is read from history (WorkflowTaskCompleted's deploymentVersion, written by the server from the
 * completing worker's version) and from B's own mark (its patch marker and memo). The receivers'
 * never-ending heartbeat workflow, pinned, stays on A until an override moves it (README).
 *
 * Needs nothing beyond the suite's dev server: CLI 1.9.1 embeds server 1.32.0, where
 * system.enableDeploymentVersions and frontend.workerVersioningWorkflowAPIs default to true
 * (temporalio/temporal common/dynamicconfig/constants.go at v1.32.0-162.0).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { isGrpcServiceError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import type { VersioningBehaviorSetting } from '../../src/config/deployment.js';
import type { RunResult } from '../../src/shared/run-types.js';
import {
  databricksRun,
  receiverHeartbeatSignal,
  webhookReceivers,
  webhookReceiversWorkflowId,
} from '../../src/workflows/index.js';
import { startTestEmulator, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { searchableHistoryText } from '../helpers/secrets-sweep.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { createWorkspaceWorker, runsCreated } from '../helpers/workspace.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { BUILD_B_PATCH, BUILD_MEMO_KEY } from '../fixtures/versioning/build-b-marks.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'versioning');
const GATE_SCRIPT = path.join(fixtures, 'wait-for-gate.py');
const FAST_POLL = { mode: 'poll' as const, pollInterval: '100ms', maxPollInterval: '300ms' };
const { RoutingConfigUpdateState, VersioningBehavior } = temporal.api.enums.v1;
type Build = 'A' | 'B';
/** gRPC status codes. */
const GRPC_NOT_FOUND = 5;
const GRPC_FAILED_PRECONDITION = 9;

/** A refusal that goes away once the new version's pollers have reached the server (see makeCurrent). */
function isNotYetPolled(code: number, details: string): boolean {
  return (
    code === GRPC_NOT_FOUND ||
    (code === GRPC_FAILED_PRECONDITION && details.includes('is missing active task queues'))
  );
}
/** Deadline of each wait: generous, because two cores are shared with other test files. */
const DEADLINE_MS = 40_000;

describe('worker deployment versioning', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let scratch: string;
  let buildBBundle: string;
  const stops: Array<() => Promise<void>> = [];
  const heartbeatsStarted = new Set<string>();

  beforeAll(async () => {
    env = await connectToTestServer();
    emulator = await startTestEmulator();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-versioning-'));
    // Build B: a bundle of other workflow code, as a new release's container image would carry.
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(fixtures, 'build-b-workflows.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
    });
    buildBBundle = path.join(scratch, 'build-b-bundle.js');
    writeFileSync(buildBBundle, code);
  }, 120_000);
  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await emulator?.close();
    await env?.teardown();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await emulator.control('POST', '/reset');
  });

  function buildEnv(deploymentName: string, build: Build, behavior: VersioningBehaviorSetting) {
    return {
      deployment: { deploymentName, buildId: `build-${build}`, defaultVersioningBehavior: behavior },
      ...(build === 'B' ? { workflowBundlePath: buildBBundle } : {}),
    };
  }

  /**
   * A versioned worker of `build` ('A': the suite's bundle of src/workflows, 'B': the fixture's) in
   * this process, built by createLakeloopWorker as src/worker.ts builds it.
   */
  async function startWorker(
    taskQueue: string,
    deploymentName: string,
    build: Build,
    behavior: VersioningBehaviorSetting,
  ): Promise<Worker> {
    const worker = await createWorkspaceWorker(
      env,
      taskQueue,
      emulator,
      buildEnv(deploymentName, build, behavior),
    );
    const running = worker.run();
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    return worker;
  }

  /** `npm run worker` of `build`, configured only by its environment as a deployment would be. */
  async function startWorkerProcessOf(
    taskQueue: string,
    deploymentName: string,
    build: Build,
    behavior: VersioningBehaviorSetting,
  ): Promise<WorkerProcess> {
    const { workflowBundlePath } = buildEnv(deploymentName, build, behavior);
    const worker = await startWorkerProcess(emulator, taskQueue, {
      LAKELOOP_DEPLOYMENT_NAME: deploymentName,
      LAKELOOP_BUILD_ID: `build-${build}`,
      LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR: behavior,
      ...(workflowBundlePath ? { LAKELOOP_WORKFLOW_BUNDLE: workflowBundlePath } : {}),
    });
    stops.push(async () => {
      if (worker.child.exitCode !== null) return;
      const exited = new Promise((resolve) => worker.child.once('exit', resolve));
      worker.child.kill('SIGTERM');
      await exited;
    });
    return worker;
  }

  /** The worker's start-up log line (JSON: its stdout is not a TTY), once it has been printed whole. */
  async function startupLine(worker: WorkerProcess): Promise<Record<string, unknown> | undefined> {
    const complete = (output: string) =>
      output
        .split('\n')
        .slice(0, -1) // the text after the last newline may be a line still being written
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => String(entry.message).startsWith('lakeloop worker polling'));
    return waitFor(
      async () => complete(worker.output()),
      (entry) => entry !== undefined,
      {
        what: 'the worker to print its start-up line whole',
      },
    );
  }

  /**
   * `temporal worker deployment set-current-version`, through the same RPC. The server refuses a
   * version until its workers' pollers have reached it, so the call is retried while it answers
   * - NOT_FOUND "no Worker Deployment found with name …; does your Worker Deployment have pollers?":
   *   a version (and a deployment) exists only once the server has seen its pollers
   *   (temporalio/temporal-worker-controller#6);
   * - FAILED_PRECONDITION "proposed current version … is missing active task queues from the current
   *   version": the new version has not yet polled every task queue *and type* (workflow, activity)
   *   the current one has (temporalio/temporal service/worker/workerdeployment/client.go,
   *   checkForMissingTaskQueues, v1.32). Seen with worker processes, whose two pollers register
   *   one after the other.
   */
  async function makeCurrent(deploymentName: string, build: Build): Promise<void> {
    await waitFor(
      () =>
        env.client.workflowService
          .setWorkerDeploymentCurrentVersion({
            namespace: env.namespace ?? 'default',
            deploymentName,
            buildId: `build-${build}`,
            identity: 'worker-versioning.test',
          })
          .then(
            () => 'current',
            (err: unknown) => {
              if (isGrpcServiceError(err) && isNotYetPolled(err.code, err.details)) return err.message;
              throw err;
            },
          ),
      (outcome) => outcome === 'current',
      { timeoutMs: DEADLINE_MS, intervalMs: 200, what: `${deploymentName} build-${build} to become current` },
    );
    // The task queues learn the new routing asynchronously; a run started before they have would start
    // on the old Current version. The SDK's own test waits the same way (temporalio/sdk-typescript
    // packages/test/src/test-worker-deployment-versioning.ts, waitForRoutingConfigPropagation).
    await waitFor(
      async () => {
        const { workerDeploymentInfo: info } = await env.client.workflowService.describeWorkerDeployment({
          namespace: env.namespace ?? 'default',
          deploymentName,
        });
        return {
          current: info?.routingConfig?.currentDeploymentVersion?.buildId,
          state: info?.routingConfigUpdateState,
        };
      },
      ({ current, state }) =>
        current === `build-${build}` &&
        state !== RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS,
      { timeoutMs: DEADLINE_MS, intervalMs: 100, what: `the routing to ${deploymentName} build-${build}` },
    );
  }

  /** A one-time run whose task runs (for real, in the emulator) until `gate` exists. */
  function startRun(taskQueue: string, gate: string): Promise<WorkflowHandle<typeof databricksRun>> {
    return env.client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: `versioning-${randomUUID()}`,
      args: [
        {
          submit: {
            run_name: 'versioning',
            tasks: [
              { task_key: 'wait', spark_python_task: { python_file: GATE_SCRIPT, parameters: [gate] } },
            ],
          },
          wait: FAST_POLL,
        },
      ],
    });
  }

  /** The build that completed each workflow task, in order (the server records it in history). */
  async function taskBuilds(handle: WorkflowHandle): Promise<string[]> {
    const history = await handle.fetchHistory();
    return (history.events ?? [])
      .map((e) => e.workflowTaskCompletedEventAttributes)
      .filter((a) => a != null)
      .map((a) => a.deploymentVersion?.buildId ?? 'unversioned');
  }

  /** Whether build B's code ran this workflow from its start (its patch marker is in history). */
  async function startedOnBuildB(handle: WorkflowHandle): Promise<boolean> {
    const history = await handle.fetchHistory();
    return searchableHistoryText(historyToJSON(history)).includes(BUILD_B_PATCH);
  }

  async function versioningInfo(handle: WorkflowHandle) {
    const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
    return { behavior: info?.behavior, buildId: info?.deploymentVersion?.buildId ?? undefined };
  }

  /** Every handle's Databricks run is going and its first workflow task was completed by `build`. */
  async function waitUntilWaitingOn(handles: WorkflowHandle[], build: string): Promise<void> {
    await waitFor(
      async () => {
        const stats = await emulator.control<{ runs: { active: number } }>('GET', '/stats');
        const builds = await Promise.all(handles.map(taskBuilds));
        return { active: stats.runs.active, builds };
      },
      ({ active, builds }) => active >= handles.length && builds.every((b) => b.length > 0 && b[0] === build),
      { timeoutMs: DEADLINE_MS, intervalMs: 200, what: `runs waiting on Databricks, started by ${build}` },
    );
  }

  /** A receiver heartbeat, as src/webhooks/liveness.ts sends it (signal-with-start). */
  async function heartbeat(taskQueue: string): Promise<WorkflowHandle> {
    const now = new Date().toISOString();
    const handle = await env.client.workflow.signalWithStart(webhookReceivers, {
      taskQueue,
      workflowId: webhookReceiversWorkflowId(taskQueue),
      args: [{}],
      signal: receiverHeartbeatSignal,
      signalArgs: [{ receiverId: 'versioning-test', since: now, at: now }],
    });
    if (!heartbeatsStarted.has(handle.workflowId)) {
      heartbeatsStarted.add(handle.workflowId);
      // It never ends by itself, and the suite's dev server is shared.
      stops.push(() => handle.terminate('worker-versioning.test done').then(() => undefined));
    }
    return handle;
  }

  async function results(handles: WorkflowHandle<typeof databricksRun>[]): Promise<RunResult[]> {
    return Promise.all(handles.map((h) => h.result()));
  }

  function expectOneDatabricksRunEach(all: RunResult[]): void {
    for (const r of all) expect(r).toMatchObject({ outcome: 'SUCCESS', succeeded: true });
    expect(new Set(all.map((r) => r.runId)).size).toBe(all.length);
  }

  test('pinned: runs started on build A finish on A while new runs run on build B', async () => {
    const taskQueue = uniqueTaskQueue('versioning-pinned');
    const deployment = `lakeloop-test-${randomUUID().slice(0, 8)}`;
    const gate = path.join(scratch, 'pinned.gate');

    // Worker processes, as a rollout has them: each names its version in its start-up line.
    const workerA = await startWorkerProcessOf(taskQueue, deployment, 'A', 'pinned');
    expect(await startupLine(workerA)).toMatchObject({
      message: `lakeloop worker polling task queue "${taskQueue}" as ${deployment}.build-A (pinned)`,
      deploymentVersion: `${deployment}.build-A`,
      versioningBehavior: 'pinned',
    });
    await makeCurrent(deployment, 'A');
    const onA = await Promise.all([startRun(taskQueue, gate), startRun(taskQueue, gate)]);
    // The receivers' heartbeat workflow never ends: pinned like the rest, it would hold build A for good.
    const heartbeats = await heartbeat(taskQueue);
    await waitUntilWaitingOn(onA, 'build-A');
    await waitFor(
      () => taskBuilds(heartbeats),
      (builds) => builds[0] === 'build-A',
      { timeoutMs: DEADLINE_MS, intervalMs: 200, what: 'the heartbeat workflow to start on build A' },
    );

    // Build B rolls out while A's runs wait on Databricks.
    const workerB = await startWorkerProcessOf(taskQueue, deployment, 'B', 'pinned');
    expect(await startupLine(workerB)).toMatchObject({ deploymentVersion: `${deployment}.build-B` });
    await makeCurrent(deployment, 'B');
    const onB = await Promise.all([startRun(taskQueue, gate), startRun(taskQueue, gate)]);
    await waitUntilWaitingOn(onB, 'build-B');
    // A heartbeat after the rollout is still handled by A, the build the workflow is pinned to…
    const tasksBefore = (await taskBuilds(heartbeats)).length;
    await heartbeat(taskQueue);
    expect(
      await waitFor(
        () => taskBuilds(heartbeats),
        (builds) => builds.length > tasksBefore,
        { timeoutMs: DEADLINE_MS, intervalMs: 200, what: 'the heartbeat to be handled' },
      ),
    ).not.toContain('build-B');
    // …until it is moved, as the README says (`temporal workflow update-options
    // --versioning-override-behavior auto_upgrade`, the same RPC).
    await env.client.workflowService.updateWorkflowExecutionOptions({
      namespace: env.namespace ?? 'default',
      workflowExecution: { workflowId: heartbeats.workflowId },
      workflowExecutionOptions: { versioningOverride: { autoUpgrade: true } },
      updateMask: { paths: ['versioning_override'] },
      identity: 'worker-versioning.test',
    });
    await heartbeat(taskQueue);
    await waitFor(
      () => taskBuilds(heartbeats),
      (builds) => builds.at(-1) === 'build-B',
      { timeoutMs: DEADLINE_MS, intervalMs: 200, what: 'the heartbeat workflow to move to build B' },
    );
    expect((await versioningInfo(heartbeats)).buildId).toBe('build-B');
    writeFileSync(gate, 'open');

    const all = await results([...onA, ...onB]);
    expectOneDatabricksRunEach(all);
    // 4 workflows, 4 Databricks runs: the rollout repeated no submission.
    expect(await runsCreated(emulator)).toBe(4);
    for (const handle of onA) {
      // Every task of A's runs, before and after B became Current, was completed by A's code.
      expect(new Set(await taskBuilds(handle))).toEqual(new Set(['build-A']));
      expect(await startedOnBuildB(handle)).toBe(false);
      expect(await versioningInfo(handle)).toEqual({
        behavior: VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
        buildId: 'build-A',
      });
    }
    for (const handle of onB) {
      expect(new Set(await taskBuilds(handle))).toEqual(new Set(['build-B']));
      expect(await startedOnBuildB(handle)).toBe(true);
      expect((await handle.describe()).memo?.[BUILD_MEMO_KEY]).toBe('B');
      expect(await versioningInfo(handle)).toEqual({
        behavior: VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
        buildId: 'build-B',
      });
    }
  }, 120_000);

  test('auto-upgrade: runs started on build A move to build B once it is current, and finish there', async () => {
    const taskQueue = uniqueTaskQueue('versioning-upgrade');
    const deployment = `lakeloop-test-${randomUUID().slice(0, 8)}`;
    const gate = path.join(scratch, 'upgrade.gate');

    await startWorker(taskQueue, deployment, 'A', 'auto-upgrade');
    await makeCurrent(deployment, 'A');
    const onA = await Promise.all([startRun(taskQueue, gate), startRun(taskQueue, gate)]);
    await waitUntilWaitingOn(onA, 'build-A');

    await startWorker(taskQueue, deployment, 'B', 'auto-upgrade');
    await makeCurrent(deployment, 'B');
    const onB = [await startRun(taskQueue, gate)];
    await waitUntilWaitingOn(onB, 'build-B');
    writeFileSync(gate, 'open');

    const all = await results([...onA, ...onB]);
    expectOneDatabricksRunEach(all);
    expect(await runsCreated(emulator)).toBe(3);
    for (const handle of onA) {
      // Started on A; the tasks after B became Current ran B's code, which replayed A's start
      // without its patch (so the run went on deterministically) and finished the run.
      const builds = await taskBuilds(handle);
      expect(builds[0]).toBe('build-A');
      expect(builds.at(-1)).toBe('build-B');
      expect(await startedOnBuildB(handle)).toBe(false);
      expect(await versioningInfo(handle)).toEqual({
        behavior: VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE,
        buildId: 'build-B',
      });
    }
    expect(await taskBuilds(onB[0]!)).not.toContain('build-A');
    expect(await startedOnBuildB(onB[0]!)).toBe(true);
  }, 120_000);
});

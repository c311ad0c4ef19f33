/**
 * OpenLineage events of real runs: a worker with the file transport on runs the churn pipeline (the
 * real jobs/train.py and score.py in the emulator, approved through the update), one cancelled while
 * it waits for approval, then a databricksRun that fails and one that is cancelled. Every event the worker wrote is then
 *   - checked for its sequence: per run one START first, then exactly one of COMPLETE, FAIL or ABORT as
 *     the run ended; run ids UUIDs; every parent link resolving to the pipeline's START event; and
 *   - validated by test/lineage/validate_openlineage.py against the official client's generated model
 *     of the spec (openlineage-python, pinned in test/lineage/requirements.txt), which must also refuse
 *     a deliberately broken event, so the check can fail.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ensurePythonVenv } from '../../scripts/python-venv.js';
import type { RunEvent } from '../../src/lineage/openlineage/event.js';
import { lineageEmitterFor, type LineageEmitter } from '../../src/lineage/openlineage/index.js';
import { stepRunId } from '../../src/lineage/openlineage/event.js';
import type { PipelineResult } from '../../src/shared/pipeline-types.js';
import { lakeloopVersion } from '../../src/shared/version.js';
import { databricksRun, mlPipeline } from '../../src/workflows/index.js';
import { waitFor } from '../emulator/helpers.js';
import { churnPipeline } from '../helpers/churn-pipeline.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const run = promisify(execFile);
const VALIDATOR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'validate_openlineage.py');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NAMESPACE = 'lakeloop-test';
const FAST_POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };

describe('OpenLineage events of a real pipeline run', () => {
  let harness: WorkspaceHarness;
  let emitter: LineageEmitter;
  let python: string;
  const warnings: string[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-openlineage-'));
  const file = path.join(dir, 'events.jsonl');
  const tag = randomUUID().slice(0, 8);
  const schema = `openlineage_${tag}`;
  const model = `main.${schema}.churn`;
  const pipelineId = `openlineage-pipeline-${tag}`;
  const failedId = `openlineage-failed-${tag}`;
  const cancelledId = `openlineage-cancelled-${tag}`;
  const abortedPipelineId = `openlineage-aborted-pipeline-${tag}`;
  let result: PipelineResult;
  let events: RunEvent[];

  beforeAll(async () => {
    python = (await ensurePythonVenv({ quiet: true })).python;
    const lineage = lineageEmitterFor(
      { transport: 'file', filePath: file, namespace: NAMESPACE },
      { version: lakeloopVersion(), warn: (message) => warnings.push(message) },
    );
    emitter = lineage!;
    harness = await startWorkspaceHarness({ name: 'openlineage', lineage: emitter });
    const created = await harness.emulator.api('POST', '/api/2.1/unity-catalog/schemas', {
      catalog_name: 'main',
      name: schema,
    });
    expect(created.status).toBe(200);
    const { client } = harness.env;
    const { taskQueue } = harness;

    // 1. The pipeline, with its approval step decided through the update.
    const pipeline = await client.workflow.start(mlPipeline, {
      taskQueue,
      workflowId: pipelineId,
      args: [
        churnPipeline({
          name: `churn-openlineage-${tag}`,
          model,
          approval: { timeout: '2m', onTimeout: 'reject' },
        }),
      ],
    });
    await waitFor(
      () => pipeline.query('status') as Promise<{ awaitingApproval: boolean }>,
      (s) => s.awaitingApproval,
      { timeoutMs: 90_000, intervalMs: 200, what: 'the pipeline to wait for approval' },
    );
    await pipeline.executeUpdate('decide', { args: [{ decision: 'approve', by: 'alice' }] });
    result = await pipeline.result();

    // 2. A pipeline cancelled while it waits for approval (its own model: no champion to beat).
    const aborted = await client.workflow.start(mlPipeline, {
      taskQueue,
      workflowId: abortedPipelineId,
      args: [
        churnPipeline({
          name: `churn-openlineage-aborted-${tag}`,
          model: `main.${schema}.churn_aborted`,
          approval: { timeout: '2m', onTimeout: 'reject' },
        }),
      ],
    });
    await waitFor(
      () => aborted.query('status') as Promise<{ awaitingApproval: boolean }>,
      (s) => s.awaitingApproval,
      { timeoutMs: 90_000, intervalMs: 200, what: 'the second pipeline to wait for approval' },
    );
    await aborted.cancel();
    await expect(aborted.result()).rejects.toThrow();

    // 3. A run that fails, 4. one that is cancelled while its Databricks run runs.
    await harness.emulator.control('POST', '/scenarios', {
      match: { runName: `ol-fail-${tag}` },
      durationMs: 200,
      result: 'FAILED',
      terminationCode: 'RUN_EXECUTION_ERROR',
      error: 'ZeroDivisionError',
    });
    await harness.emulator.control('POST', '/scenarios', {
      match: { runName: `ol-long-${tag}` },
      durationMs: 120_000,
    });
    const task = [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }];
    const failing = await client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: failedId,
      args: [{ submit: { run_name: `ol-fail-${tag}`, tasks: task }, wait: FAST_POLL }],
    });
    await expect(failing.result()).rejects.toThrow();
    const long = await client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: cancelledId,
      args: [{ submit: { run_name: `ol-long-${tag}`, tasks: task }, wait: FAST_POLL }],
    });
    await waitFor(
      async () => (await long.query('status')) as { runId?: string },
      (s) => s.runId !== undefined,
      { timeoutMs: 30_000, intervalMs: 200, what: 'the long run to be submitted' },
    );
    await long.cancel();
    await expect(long.result()).rejects.toThrow();

    // Delivery is asynchronous: wait until the emitter has written everything queued.
    expect(await emitter.flush(15_000)).toBe(true);
    events = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as RunEvent);
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await emitter?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ofJob = (name: string) => events.filter((e) => e.job.name === name);
  const states = (name: string) => ofJob(name).map((e) => e.eventType);

  test('the pipeline promoted its candidate (what the events describe)', () => {
    expect(result).toMatchObject({ promoted: true, modelVersion: '1' });
    expect(warnings).toEqual([]);
  });

  test('each run has one START first and one COMPLETE, FAIL or ABORT as it ended', () => {
    expect(states(pipelineId)).toEqual(['START', 'COMPLETE']);
    for (const step of ['train', 'evaluate', 'approval', 'register', 'score']) {
      expect([step, states(`${pipelineId}/${step}`)]).toEqual([step, ['START', 'COMPLETE']]);
    }
    expect(states(failedId)).toEqual(['START', 'FAIL']);
    expect(states(cancelledId)).toEqual(['START', 'ABORT']);
    // The cancelled pipeline: what had ended stays COMPLETE, the step it waited in is aborted with it.
    expect(states(abortedPipelineId)).toEqual(['START', 'ABORT']);
    expect(states(`${abortedPipelineId}/train`)).toEqual(['START', 'COMPLETE']);
    expect(states(`${abortedPipelineId}/evaluate`)).toEqual(['START', 'COMPLETE']);
    expect(states(`${abortedPipelineId}/approval`)).toEqual(['START', 'ABORT']);
    // Nothing else: every event belongs to one of these runs, and each run has one run id.
    const jobs = new Set(events.map((e) => e.job.name));
    expect(jobs.size).toBe(12);
    for (const job of jobs) expect(new Set(ofJob(job).map((e) => e.run.runId)).size).toBe(1);
    expect(events.every((e) => e.job.namespace === NAMESPACE)).toBe(true);
    // Within a run, event times do not go backwards (workflow time).
    for (const job of jobs) {
      const [start, end] = ofJob(job).map((e) => Date.parse(e.eventTime));
      expect(end).toBeGreaterThanOrEqual(start!);
    }
  });

  test('run ids are UUIDs: Temporal run ids for workflows, uuid5(pipeline run, step) for steps', async () => {
    expect(events.every((e) => UUID.test(e.run.runId))).toBe(true);
    const description = await harness.env.client.workflow.getHandle(pipelineId).describe();
    expect(ofJob(pipelineId)[0]!.run.runId).toBe(description.runId);
    const train = await harness.env.client.workflow.getHandle(`${pipelineId}/train`).describe();
    expect(ofJob(`${pipelineId}/train`)[0]!.run.runId).toBe(train.runId);
    expect(ofJob(`${pipelineId}/evaluate`)[0]!.run.runId).toBe(stepRunId(description.runId, 'evaluate'));
  });

  test('every parent link resolves to the pipeline run START event', () => {
    const pipelineStart = ofJob(pipelineId).find((e) => e.eventType === 'START')!;
    const children = events.filter((e) => e.job.name.startsWith(`${pipelineId}/`));
    expect(children).toHaveLength(10);
    for (const child of children) {
      const parent = child.run.facets.parent as
        { run: { runId: string }; job: { namespace: string; name: string } } | undefined;
      expect(parent).toBeDefined();
      const target = events.find(
        (e) =>
          e.eventType === 'START' &&
          e.run.runId === parent!.run.runId &&
          e.job.name === parent!.job.name &&
          e.job.namespace === parent!.job.namespace,
      );
      expect(target).toBe(pipelineStart);
    }
    const abortedStart = ofJob(abortedPipelineId).find((e) => e.eventType === 'START')!;
    for (const child of events.filter((e) => e.job.name.startsWith(`${abortedPipelineId}/`))) {
      expect((child.run.facets.parent as unknown as { run: { runId: string } }).run.runId).toBe(
        abortedStart.run.runId,
      );
    }
    // Runs nobody started as children have no parent.
    for (const id of [pipelineId, abortedPipelineId, failedId, cancelledId]) {
      expect(ofJob(id).every((e) => e.run.facets.parent === undefined)).toBe(true);
    }
  });

  test('FAIL and ABORT say why; the Databricks run travels in lakeloop_databricksRun', () => {
    const failed = ofJob(failedId).find((e) => e.eventType === 'FAIL')!;
    expect(failed.run.facets.errorMessage).toMatchObject({ programmingLanguage: 'TypeScript' });
    expect((failed.run.facets.errorMessage as unknown as { message: string }).message).toMatch(
      /DatabricksRunFailed/,
    );
    expect(failed.run.facets.lakeloop_databricksRun).toMatchObject({
      outcome: 'FAILED',
      runId: expect.stringMatching(/^\d+$/),
      attempt: 1,
    });
    const aborted = ofJob(cancelledId).find((e) => e.eventType === 'ABORT')!;
    expect(aborted.run.facets.lakeloop_databricksRun).toMatchObject({
      runId: expect.stringMatching(/^\d+$/),
    });
    const trained = ofJob(`${pipelineId}/train`).find((e) => e.eventType === 'COMPLETE')!;
    expect(trained.run.facets.lakeloop_databricksRun).toMatchObject({ outcome: 'SUCCESS' });
    expect(trained.job.facets.jobType).toMatchObject({ processingType: 'BATCH', jobType: 'JOB' });
    expect(ofJob(pipelineId)[0]!.job.facets.jobType).toMatchObject({ jobType: 'PIPELINE' });
  });

  test('the official client model accepts every emitted event', async () => {
    const { stdout } = await run(python, [VALIDATOR, file]);
    expect(stdout).toContain(`${events.length} events valid`);
  }, 60_000);

  test('the validator refuses a broken event, naming the event and the field', async () => {
    const broken = path.join(dir, 'broken.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const event = JSON.parse(lines[0]!) as RunEvent;
    event.run.runId = 'not-a-uuid';
    lines[0] = JSON.stringify(event);
    const second = JSON.parse(lines[1]!) as { job: Record<string, unknown> };
    delete second.job.namespace;
    lines[1] = JSON.stringify(second);
    writeFileSync(broken, `${lines.join('\n')}\n`);
    const refused = await run(python, [VALIDATOR, broken]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(/line 1 \(START [^)]+\): event\.run: Run refused it/);
    expect(refused?.stderr).toMatch(/line 2 \([^)]+\): event\.job\.namespace: required by Job, missing/);
    expect(refused?.stderr).toContain('2 of');
  }, 60_000);
});

/**
 * `lakeloop status | result | list | cancel` on every kind of Lakeloop workflow and every way one ends,
 * through the CLI's main() against the suite's dev server, a real worker and the emulator: runs that
 * succeeded, failed, failed before submitting, timed out, were cancelled or are still running; a
 * pipeline that promoted its candidate and one that rejected it (the real jobs/train.py and score.py);
 * a health check. Each answer must say plainly how the workflow stands and exit non-zero when it did
 * not succeed; --json must always be JSON.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { main } from '../../src/client/main.js';
import type { PipelineDefinition } from '../../src/shared/pipeline-definition.js';
import { waitFor } from '../emulator/helpers.js';
import { captureConsole, cliRunner, pointCliAtTestServer, writeSubmitFile } from '../helpers/cli.js';
import { churnPipeline } from '../helpers/churn-pipeline.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };

describe('lakeloop status, result, list and cancel', () => {
  let harness: WorkspaceHarness;
  let restoreEnvironment: () => void;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-cli-status-'));
  const captured = captureConsole();
  const tag = randomUUID().slice(0, 8);
  const schema = `cli_${tag}`;
  const pipelineName = `churn-cli-${tag}`;
  /** Workflow ids by what they are. */
  const ids = {
    runOk: `cli-run-ok-${tag}`,
    runFailed: `cli-run-failed-${tag}`,
    runNoJob: `cli-run-no-job-${tag}`,
    runTimedOut: `cli-run-timed-out-${tag}`,
    runCancelled: `cli-run-cancelled-${tag}`,
    runRunning: `cli-run-running-${tag}`,
    promoted: `cli-pipeline-promoted-${tag}`,
    rejected: `cli-pipeline-rejected-${tag}`,
    awaiting: `cli-pipeline-awaiting-${tag}`,
    healthCheck: '',
  };

  const cli = cliRunner(captured);

  /** The CLI with --json: exactly one JSON document on stdout, nothing on stderr. */
  async function cliJson<T = Record<string, any>>(...argv: string[]): Promise<{ code: number; doc: T }> {
    const { code, out, err } = await cli(...argv, '--json');
    expect(err).toBe('');
    expect(captured.out).toHaveLength(1);
    return { code, doc: JSON.parse(out) as T };
  }

  const submitFile = (runName: string) => writeSubmitFile(dir, runName);

  function pipelineFile(name: string, weak: boolean): string {
    const definition = churnPipeline({
      name: pipelineName,
      model: `main.${schema}.churn`,
      weak,
      threshold: 0.7,
      experiment: `/Shared/${schema}`,
      runNamePrefix: name,
    });
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(definition));
    return file;
  }

  /** A pipeline whose train task reports its metric as output, gated by a person: it waits for them. */
  function approvalPipelineFile(): string {
    const definition: PipelineDefinition = {
      name: `${pipelineName}-approval`,
      train: {
        submit: {
          run_name: 'approval-train',
          tasks: [{ task_key: 'train', notebook_task: { notebook_path: '/t' } }],
        },
        wait: POLL,
      },
      evaluate: { metric: 'auc', source: 'output', threshold: 0.5 },
      approval: { timeout: '1h', onTimeout: 'reject' },
      register: { model: `main.${schema}.approval` },
    };
    const file = path.join(dir, 'approval.json');
    writeFileSync(file, JSON.stringify(definition));
    return file;
  }

  async function scenario(runName: string, rule: Record<string, unknown>): Promise<void> {
    await harness.emulator.control('POST', '/scenarios', { match: { runName }, ...rule });
  }

  beforeAll(async () => {
    harness = await startWorkspaceHarness({ name: 'cli-status' });
    const created = await harness.emulator.api('POST', '/api/2.1/unity-catalog/schemas', {
      catalog_name: 'main',
      name: schema,
    });
    expect(created.status).toBe(200);
    restoreEnvironment = pointCliAtTestServer(harness.taskQueue);
    // captureConsole's hooks start with the first test: keep the set-up's own output here.
    const printed: string[] = [];
    const keep = (...a: unknown[]) => void printed.push(a.join(' '));
    const spies = [
      jest.spyOn(console, 'log').mockImplementation(keep),
      jest.spyOn(console, 'error').mockImplementation(keep),
    ];

    await scenario('ok', { durationMs: 100, output: 'done' });
    await scenario('failed', { durationMs: 100, result: 'FAILED', error: 'the input table is empty' });
    await scenario('long', { durationMs: 600_000 });
    await scenario('approval-train', { durationMs: 100, output: JSON.stringify({ metrics: { auc: 0.9 } }) });
    const poll = ['--wait-mode', 'poll'];
    const run = (file: string, id: string, ...more: string[]) =>
      main(['run', '--submit', submitFile(file), '--workflow-id', id, ...poll, ...more]);
    expect(await run('ok', ids.runOk, '--wait')).toBe(0);
    expect(await run('failed', ids.runFailed, '--wait')).toBe(1);
    expect(await main(['run', '--job-name', `no-such-job-${tag}`, '--workflow-id', ids.runNoJob])).toBe(0);
    expect(await run('long', ids.runTimedOut, '--timeout', '2s')).toBe(0);
    expect(await run('long', ids.runCancelled)).toBe(0);
    expect(await run('long', ids.runRunning)).toBe(0);
    expect(
      await main([
        'pipeline',
        'start',
        pipelineFile('first', false),
        '--workflow-id',
        ids.promoted,
        '--wait',
      ]),
    ).toBe(0);
    expect(
      await main(['pipeline', 'start', pipelineFile('weak', true), '--workflow-id', ids.rejected, '--wait']),
    ).toBe(0);
    expect(await main(['pipeline', 'start', approvalPipelineFile(), '--workflow-id', ids.awaiting])).toBe(0);
    printed.length = 0;
    expect(await main(['doctor', '--json'])).toBe(0);
    ids.healthCheck = (JSON.parse(printed.join('\n')) as { workflowId: string }).workflowId;
    for (const spy of spies) spy.mockRestore();
    // The runs that end by themselves (a failed look-up, a deadline) have, once Temporal says so.
    for (const id of [ids.runNoJob, ids.runTimedOut]) {
      await waitFor(
        async () => (await harness.env.client.workflow.getHandle(id).describe()).status.name,
        (status) => status !== 'RUNNING',
        { timeoutMs: 30_000, intervalMs: 200, what: `${id} to end` },
      );
    }
  }, 180_000);

  afterAll(async () => {
    restoreEnvironment?.();
    // The long runs still going are cancelled with their workflows, so nothing is left behind.
    for (const id of [ids.runRunning, ids.runCancelled, ids.awaiting])
      await harness?.env.client.workflow
        .getHandle(id)
        .cancel()
        .catch(() => undefined);
    await harness?.close();
  });

  describe('status', () => {
    test.each([
      ['runOk', 0, /^state +succeeded$/m, /databricks +run \d+ · job \d+ · SUCCESS/],
      [
        'runFailed',
        1,
        /^state +failed: Databricks run \d+ ended FAILED \(RUN_EXECUTION_ERROR\).*only: the input table is empty$/m,
        /^failed tasks only FAILED$/m,
      ],
      [
        'runNoJob',
        1,
        /^state +failed: submitRun: no Databricks job is named "no-such-job-/m,
        /no run submitted/,
      ],
      [
        'runTimedOut',
        1,
        /^state +timed out: Databricks run \d+ ended TIMEDOUT: deadline of 2000 ms passed/m,
        /TIMEDOUT/,
      ],
      [
        'runRunning',
        0,
        /^state +running — waiting for the Databricks run \(by poll\)$/m,
        /databricks +run \d+/,
      ],
      [
        'promoted',
        0,
        /^state +succeeded$/m,
        /^decision +promoted: auc 0\.\d+, reaches 0\.7000, no champion yet$/m,
      ],
      [
        'rejected',
        0,
        /^state +succeeded$/m,
        /^decision +rejected: auc 0\.\d+ does not reach the threshold 0\.7000$/m,
      ],
      ['healthCheck', 0, /^state +succeeded$/m, /^worker +\S+/m],
    ] as const)('%s: says how it stands (exit %i)', async (which, exitCode, state, detail) => {
      const id = ids[which];
      const { code, out, err } = await cli('status', id);
      expect({ code, err }).toEqual({ code: exitCode, err: '' });
      expect(out).toMatch(new RegExp(`^workflow +${id} \\(`));
      expect(out).toMatch(state);
      expect(out).toMatch(detail);
      expect(out).not.toContain('undefined');
      // --json: the same model, as one document.
      const json = await cliJson('status', id);
      expect(json.code).toBe(exitCode);
      expect(json.doc.workflowId).toBe(id);
    });

    test('--json names the kind, the state, the reason and what each kind has to say', async () => {
      expect((await cliJson('status', ids.runFailed)).doc).toMatchObject({
        kind: 'run',
        state: 'FAILED',
        temporalStatus: 'FAILED',
        reason: expect.stringMatching(/^Databricks run \d+ ended FAILED/),
        databricksRunState: 'FAILED',
        failedTasks: ['only FAILED'],
      });
      // A one-time run's job id comes from runs/get; it is recorded too.
      expect((await cliJson('status', ids.runOk)).doc).toMatchObject({
        state: 'SUCCEEDED',
        databricksJobId: expect.stringMatching(/^\d+$/),
      });
      expect((await cliJson('status', ids.rejected)).doc).toMatchObject({
        kind: 'pipeline',
        state: 'SUCCEEDED',
        pipeline: pipelineName,
        decision: 'rejected',
        modelVersion: '1',
      });
      expect((await cliJson('status', ids.promoted)).doc).toMatchObject({
        decision: 'promoted',
        modelVersion: '1',
      });
      expect((await cliJson('status', ids.healthCheck)).doc).toMatchObject({
        kind: 'health-check',
        state: 'SUCCEEDED',
      });
      expect((await cliJson('status', ids.runTimedOut)).doc).toMatchObject({
        state: 'TIMED_OUT',
        temporalStatus: 'FAILED',
      });
    });

    test('an unknown workflow is an error that names it, in JSON with --json', async () => {
      const missing = `no-such-workflow-${tag}`;
      expect(await cli('status', missing)).toEqual({
        code: 1,
        out: '',
        err: `lakeloop status: no workflow "${missing}" in namespace default`,
      });
      expect(await cliJson('status', missing)).toEqual({
        code: 1,
        doc: { error: `no workflow "${missing}" in namespace default` },
      });
    });
  });

  describe('result', () => {
    test.each([
      ['runOk', 0, 'SUCCEEDED'],
      ['runFailed', 1, 'FAILED'],
      ['runNoJob', 1, 'FAILED'],
      ['runTimedOut', 1, 'TIMED_OUT'],
      ['promoted', 0, 'SUCCEEDED'],
      ['rejected', 0, 'SUCCEEDED'],
      ['healthCheck', 0, 'SUCCEEDED'],
    ] as const)('%s: --json is one document with the state (exit %i)', async (which, exitCode, state) => {
      const { code, doc } = await cliJson('result', ids[which]);
      expect(code).toBe(exitCode);
      expect(doc).toMatchObject({ workflowId: ids[which], state });
      if (exitCode === 0) expect(doc.error).toBeUndefined();
      else expect(doc.error).toEqual(expect.any(String));
    });

    test('a failed run: its result on stdout, the reason on stderr, exit 1', async () => {
      const { code, out, err } = await cli('result', ids.runFailed);
      expect(code).toBe(1);
      expect(out).toMatch(/^outcome +FAILED \(RUN_EXECUTION_ERROR\)$/m);
      expect(out).toMatch(/^error +only: the input table is empty$/m);
      expect(err).toMatch(
        new RegExp(`^lakeloop result: ${ids.runFailed} failed: Databricks run \\d+ ended FAILED`),
      );
    });

    test('a pipeline: its steps, metric, decision and model', async () => {
      const promoted = await cli('result', ids.promoted);
      expect(promoted.code).toBe(0);
      expect(promoted.out).toMatch(/^model +promoted version 1$/m);
      const rejected = await cli('result', ids.rejected);
      expect(rejected.code).toBe(0);
      expect(rejected.out).toMatch(/^decision +rejected: auc/m);
      expect(rejected.out).toMatch(/^model +kept version 1$/m);
      // No padding left at the end of a step line without detail.
      expect(rejected.out).not.toMatch(/ +$/m);
      const { doc } = await cliJson('result', ids.rejected);
      expect(doc.result).toMatchObject({ promoted: false, modelVersion: '1', decision: { passed: false } });
    });
  });

  test('a pipeline waiting for approval: status says so (exit 0); cancel --wait ends it cancelled', async () => {
    const waiting = await waitFor(
      () => cli('status', ids.awaiting),
      ({ out }) => out.includes('waiting for approval'),
      { timeoutMs: 30_000, intervalMs: 300, what: 'the pipeline to wait for approval' },
    );
    expect(waiting.code).toBe(0);
    expect(waiting.out).toMatch(/^state +running — waiting for approval/m);
    expect(waiting.out).toMatch(/^ {2}approval +waiting/m);
    const { code, doc } = await cliJson('cancel', ids.awaiting, '--wait');
    expect(code).toBe(0);
    expect(doc).toMatchObject({ kind: 'pipeline', state: 'CANCELLED', reason: 'the workflow was cancelled' });
    expect((await cli('status', ids.awaiting)).code).toBe(1);
  });

  describe('cancel', () => {
    test('a running run is cancelled with its Databricks run; --wait reports it cancelled (exit 0)', async () => {
      const { code, doc } = await cliJson('cancel', ids.runCancelled, '--wait');
      expect(code).toBe(0);
      expect(doc).toMatchObject({
        state: 'CANCELLED',
        temporalStatus: 'CANCELLED',
        reason: expect.stringMatching(/^the workflow was cancelled, and with it Databricks run \d+$/),
      });
      const run = await harness.emulator.api('GET', `/api/2.2/jobs/runs/get?run_id=${doc.databricksRunId}`);
      expect(run.body.state.result_state).toBe('CANCELED');
      const status = await cli('status', ids.runCancelled);
      expect(status.code).toBe(1);
      expect(status.out).toMatch(
        /^state +cancelled: the workflow was cancelled, and with it Databricks run \d+$/m,
      );
      expect((await cliJson('result', ids.runCancelled)).doc).toMatchObject({
        state: 'CANCELLED',
        error: `the workflow was cancelled, and with it Databricks run ${doc.databricksRunId}`,
      });
    });

    test.each([
      ['runOk', 'succeeded'],
      ['runFailed', 'failed'],
      ['rejected', 'succeeded'],
      ['healthCheck', 'succeeded'],
    ] as const)('%s has ended: cancel says so and exits 1', async (which, how) => {
      const message = `${ids[which]} has already ended (${how}): there is nothing to cancel`;
      expect(await cli('cancel', ids[which])).toEqual({
        code: 1,
        out: '',
        err: `lakeloop cancel: ${message}`,
      });
      expect(await cliJson('cancel', ids[which])).toEqual({ code: 1, doc: { error: message } });
    });
  });

  describe('list', () => {
    test('a header, then runs and pipelines with their states, decisions and versions', async () => {
      const { code, out } = await cli('list', '--pipeline', pipelineName);
      expect(code).toBe(0);
      const [header, ...rows] = out.split('\n');
      expect(header).toMatch(
        /^STARTED \(UTC\) +KIND +STATE +DATABRICKS RUN +RUN STATE +PIPELINE +DECISION +MODEL +WORKFLOW$/,
      );
      expect(rows).toHaveLength(2);
      expect(rows.find((r) => r.endsWith(ids.rejected))).toMatch(
        new RegExp(`pipeline +SUCCEEDED +- +- +${pipelineName} +rejected +1 +${ids.rejected}$`),
      );
      expect(rows.find((r) => r.endsWith(ids.promoted))).toMatch(/ promoted +1 /);
    });

    test('--json rows in the status model; both kinds by default; --state filters', async () => {
      const { code, doc } = await cliJson<Array<Record<string, string>>>('list', '--limit', '1000');
      expect(code).toBe(0);
      const byId = new Map(doc.map((row) => [row.workflowId, row]));
      expect(byId.get(ids.runFailed)).toMatchObject({
        kind: 'run',
        state: 'FAILED',
        databricksRunState: 'FAILED',
      });
      expect(byId.get(ids.runTimedOut)).toMatchObject({ state: 'TIMED_OUT' });
      expect(byId.get(ids.runRunning)).toMatchObject({ state: 'RUNNING' });
      expect(byId.get(ids.rejected)).toMatchObject({
        kind: 'pipeline',
        decision: 'rejected',
        modelVersion: '1',
      });
      expect(byId.has(ids.healthCheck)).toBe(false);

      const failed = (
        await cliJson<Array<Record<string, string>>>('list', '--state', 'failed', '--limit', '1000')
      ).doc;
      expect(failed.map((r) => r.workflowId)).toEqual(expect.arrayContaining([ids.runFailed, ids.runNoJob]));
      expect(failed.every((r) => r.state === 'FAILED')).toBe(true);
      const timedOut = (
        await cliJson<Array<Record<string, string>>>('list', '--state', 'TIMED_OUT', '--limit', '1000')
      ).doc;
      expect(timedOut.map((r) => r.workflowId)).toContain(ids.runTimedOut);
      expect(timedOut.every((r) => r.state === 'TIMED_OUT')).toBe(true);

      const checks = (
        await cliJson<Array<Record<string, string>>>('list', '--kind', 'health-check', '--limit', '1000')
      ).doc;
      expect(checks.map((r) => r.workflowId)).toContain(ids.healthCheck);
    });

    test('no match says so; a bad filter is a usage error (exit 2), in JSON with --json', async () => {
      expect(await cli('list', '--pipeline', `nothing-${tag}`)).toMatchObject({
        code: 0,
        out: `no run or pipeline workflows (pipeline nothing-${tag})`,
      });
      expect(await cliJson('list', '--state', 'sleeping')).toEqual({
        code: 2,
        doc: {
          error:
            '--state: expected one of RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, TERMINATED (got "sleeping")',
        },
      });
    });
  });
});

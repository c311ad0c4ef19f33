/**
 * The receiver inside the worker (src/worker.ts) finds a run's workflow in the worker's own run
 * directory, without a visibility query — the query that lagged at 10,000 concurrent runs — and falls
 * back to the DatabricksRunId search attribute when the directory is wrong.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RunInput } from '../../src/shared/run-input.js';
import { RunDirectory, type WorkflowRef } from '../../src/webhooks/run-directory.js';
import { databricksRun } from '../../src/workflows/index.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const PASSWORD = `run-directory-${Math.random().toString(36).slice(2)}`;

function input(runName: string): RunInput {
  return {
    submit: { run_name: runName, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
    wait: { mode: 'webhook', safetyNetInterval: '1h' },
  };
}

/** Files the next submission under a workflow of the test's choosing, as a stale entry would be. */
class MisfilingDirectory extends RunDirectory {
  misfileNextAs: WorkflowRef | undefined;

  override remember(databricksRunId: string, workflow: WorkflowRef): void {
    super.remember(databricksRunId, this.misfileNextAs ?? workflow);
    this.misfileNextAs = undefined;
  }
}

describe('webhook receiver with the worker run directory', () => {
  let harness: WorkspaceHarness;
  const directory = new MisfilingDirectory();

  beforeAll(async () => {
    harness = await startWorkspaceHarness({
      name: 'run-directory',
      receiver: { username: 'databricks', password: PASSWORD, runDirectory: directory },
    });
  });
  afterAll(() => harness?.close());

  test('a notification reaches its workflow through the directory, with no visibility query', async () => {
    await harness.emulator.control('POST', '/scenarios', { match: { runName: 'direct' }, durationMs: 500 });
    const before = harness.receiver!.lookups();
    const result = await harness.env.client.workflow.execute(databricksRun, {
      taskQueue: harness.taskQueue,
      workflowId: `run-directory-${Date.now()}`,
      args: [input('direct')],
    });
    expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'webhook' });
    expect(directory.lookup(result.runId)).toBeDefined();
    const after = harness.receiver!.lookups();
    expect(after.directory - before.directory).toBe(1);
    expect(after.visibility - before.visibility).toBe(0);
  });

  test('an entry pointing at a closed workflow falls back to the search attribute', async () => {
    const { env, emulator, taskQueue } = harness;
    await emulator.control('POST', '/scenarios', { match: { runName: 'closed' }, durationMs: 0 });
    const closedId = `run-directory-closed-${Date.now()}`;
    await env.client.workflow.execute(databricksRun, {
      taskQueue,
      workflowId: closedId,
      args: [input('closed')],
    });
    const closed = await env.client.workflow.getHandle(closedId).describe();

    // Filed under the closed workflow the moment runs/submit answers: the notification cannot beat it.
    await emulator.control('POST', '/scenarios', { match: { runName: 'misfiled' }, durationMs: 500 });
    directory.misfileNextAs = { workflowId: closedId, runId: closed.runId };
    const before = harness.receiver!.lookups();
    const handle = await env.client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: `run-directory-misfiled-${Date.now()}`,
      args: [input('misfiled')],
    });
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'webhook' });
    expect(directory.misfileNextAs).toBeUndefined(); // it was used for this run
    const after = harness.receiver!.lookups();
    expect(after.visibility - before.visibility).toBe(1);
    expect(after.directory - before.directory).toBe(0);
    expect(directory.lookup(result.runId)).toBeUndefined(); // the stale entry is gone
  });
});

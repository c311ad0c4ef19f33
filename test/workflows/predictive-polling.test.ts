/**
 * Predictive polling on a real worker, dev server and emulator: a saved job with five earlier
 * successful runs gets its next look from their durations (the poll activity's failure says so and its
 * next attempt is scheduled past the retry policy's maximum interval), and still ends SUCCESS; a job
 * with no history is polled by the input's back-off alone. The prediction reads runs/list, as a real
 * workspace answers it (completed runs, newest first), and for one-time runs first Lakeloop's own
 * closed workflows of the same definition (LakeloopDefinition, LakeloopRunMs in the visibility store).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import type { RunInput } from '../../src/shared/run-input.js';
import { databricksRun } from '../../src/workflows/index.js';
import { waitFor, waitForTerminal } from '../emulator/helpers.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const tag = randomUUID().slice(0, 8);
const POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };

describe('predictive polling', () => {
  let harness: WorkspaceHarness;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({ name: 'predictive-polling' });
  });
  afterAll(() => harness?.close());

  async function createJob(name: string, durationMs: number): Promise<string> {
    const created = await harness.emulator.api<{ job_id: number }>('POST', '/api/2.2/jobs/create', {
      name,
      // The earlier runs go side by side (the default allows one active run at a time).
      max_concurrent_runs: 5,
      tasks: [{ task_key: 'train', notebook_task: { notebook_path: '/Shared/train' } }],
    });
    expect(created.status).toBe(200);
    await harness.emulator.control('POST', '/scenarios', { match: { jobName: name }, durationMs });
    return String(created.body.job_id);
  }

  /** The poll activity's pending state: its last failure's message and the gap to its next attempt. */
  async function pendingPoll(handle: WorkflowHandle) {
    const { raw } = await handle.describe();
    const poll = raw.pendingActivities?.find((a) => a.activityType?.name === 'pollUntilTerminal');
    if (!poll?.lastFailure?.message || !poll.nextAttemptScheduleTime || !poll.lastAttemptCompleteTime)
      return undefined;
    const ms = (t: { seconds?: unknown; nanos?: number | null }) =>
      Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
    return {
      message: poll.lastFailure.message,
      gapMs: ms(poll.nextAttemptScheduleTime) - ms(poll.lastAttemptCompleteTime),
    };
  }

  /** Starts a databricksRun polled by `wait` and returns it once its poll waits for a next look. */
  async function startAndAwaitPoll(workflowId: string, input: Omit<RunInput, 'wait'>) {
    const handle = await harness.env.client.workflow.start(databricksRun, {
      taskQueue: harness.taskQueue,
      workflowId,
      args: [{ ...input, wait: POLL }],
    });
    const pending = await waitFor(
      () => pendingPoll(handle),
      (p) => p !== undefined,
      {
        timeoutMs: 30_000,
        intervalMs: 50,
        what: 'the poll activity to wait for its next look',
      },
    );
    return { handle, pending: pending! };
  }

  test('five earlier runs of the job: the next look comes from their durations', async () => {
    const jobId = await createJob(`predict-${tag}`, 6_000);
    // Five earlier runs, side by side, all successful.
    const earlier = await Promise.all(
      Array.from({ length: 5 }, () =>
        harness.emulator.api<{ run_id: number }>('POST', '/api/2.2/jobs/run-now', { job_id: Number(jobId) }),
      ),
    );
    for (const run of earlier) await waitForTerminal(harness.emulator, run.body.run_id, 30_000);

    const { handle, pending } = await startAndAwaitPoll(`predict-${tag}`, { jobId });
    expect(pending.message).toMatch(
      /^run \d+ is \w+; 5 earlier runs of this job took \d+ s–\d+ s \(median \d+ s\): next look in \d+ s \((before|likely)\)$/,
    );
    // The back-off alone would look again within maxPollInterval (500 ms); the prediction waits
    // most of the way to the likely end of a ~6 s run.
    expect(pending.gapMs).toBeGreaterThan(1_000);
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'SUCCESS', jobId, waitMode: 'poll' });
  });

  test('one-time runs learn from earlier one-time runs of the same name', async () => {
    const runName = `predict-once-${tag}`;
    await harness.emulator.control('POST', '/scenarios', { match: { runName }, durationMs: 6_000 });
    const submit = {
      run_name: runName,
      tasks: [{ task_key: 'score', notebook_task: { notebook_path: '/Shared/score' } }],
    };
    const earlier = await Promise.all(
      Array.from({ length: 5 }, () =>
        harness.emulator.api<{ run_id: number }>('POST', '/api/2.2/jobs/runs/submit', submit),
      ),
    );
    for (const run of earlier) await waitForTerminal(harness.emulator, run.body.run_id, 30_000);
    const { handle, pending } = await startAndAwaitPoll(`predict-once-${tag}`, { submit });
    expect(pending.message).toContain('; 5 earlier runs of this job took');
    expect(pending.gapMs).toBeGreaterThan(1_000);
    expect(await handle.result()).toMatchObject({ outcome: 'SUCCESS' });
  });

  test("one-time runs learn from Lakeloop's earlier runs of the same definition, whatever their names", async () => {
    const taskKey = `def-${tag}`;
    await harness.emulator.control('POST', '/scenarios', { match: { taskKey }, durationMs: 6_000 });
    const submitOn = (day: number) => ({
      run_name: `nightly-${tag}-day${day}`,
      tasks: [{ task_key: taskKey, notebook_task: { notebook_path: '/Shared/nightly' } }],
    });
    const client = harness.env.client;
    // Five earlier nights, each under its own (dated) name: only the definition is shared.
    const earlier = await Promise.all(
      [1, 2, 3, 4, 5].map((day) =>
        client.workflow.start(databricksRun, {
          taskQueue: harness.taskQueue,
          workflowId: `nightly-${tag}-day${day}`,
          args: [{ submit: submitOn(day), wait: POLL }],
        }),
      ),
    );
    for (const handle of earlier) expect(await handle.result()).toMatchObject({ outcome: 'SUCCESS' });
    const attributes = await Promise.all(earlier.map(async (h) => (await h.describe()).searchAttributes));
    const definitions = new Set(attributes.map((a) => a.LakeloopDefinition?.[0]));
    expect(definitions.size).toBe(1);
    const [definition] = definitions;
    expect(definition).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const a of attributes) {
      // end − start of a ~6 s run (emulated at scale 1), recorded because it succeeded at once
      expect(a.LakeloopRunMs?.[0]).toBeGreaterThanOrEqual(5_000);
    }
    await waitFor(
      () => client.workflow.count(`LakeloopDefinition = '${String(definition)}' AND LakeloopRunMs > 0`),
      (n) => n.count === 5,
      { timeoutMs: 30_000, intervalMs: 200, what: 'visibility to list the five earlier nights' },
    );

    const { handle, pending } = await startAndAwaitPoll(`nightly-${tag}-day6`, { submit: submitOn(6) });
    expect(pending.message).toContain('; 5 earlier runs of this job took');
    expect(pending.gapMs).toBeGreaterThan(1_000);
    expect(await handle.result()).toMatchObject({ outcome: 'SUCCESS' });
  });

  test('a job with no history is polled by the back-off alone', async () => {
    const jobId = await createJob(`cold-${tag}`, 3_000);
    const { handle, pending } = await startAndAwaitPoll(`cold-${tag}`, { jobId });
    expect(pending.message).toMatch(/^run \d+ is \w+$/);
    expect(pending.gapMs).toBeLessThanOrEqual(500);
    expect(await handle.result()).toMatchObject({ outcome: 'SUCCESS', jobId });
  });
});

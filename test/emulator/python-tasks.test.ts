import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestEmulator } from './helpers.js';
import { createJob, getRun, runNow, startTestEmulator, submit, waitFor, waitForTerminal } from './helpers.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string): string => path.join(fixtures, name);

function pythonTask(
  file: string,
  parameters: string[] = [],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { task_key: 'py', spark_python_task: { python_file: file, parameters }, ...extra };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local spark_python_task execution', () => {
  let emu: TestEmulator;
  let scratch: string;
  beforeAll(async () => {
    emu = await startTestEmulator({ maxLogBytes: 4096 });
    scratch = mkdtempSync(path.join(tmpdir(), 'emulator-python-test-'));
  });
  afterAll(async () => {
    await emu.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const output = async (taskRunId: number): Promise<any> =>
    (await emu.api('GET', `/api/2.1/jobs/runs/get-output?run_id=${taskRunId}`)).body;

  test('runs the file with its parameters; the output line becomes notebook_output.result; the token works while it runs', async () => {
    const tokenFile = path.join(scratch, 'token');
    const jobId = await createJob(emu, {
      name: 'python-echo',
      parameters: [{ name: 'date', default: '2026-01-01' }],
      tasks: [
        pythonTask(pathToFileURL(fixture('echo_task.py')).href, [
          '--keep-token-in',
          tokenFile,
          '--run={{job.run_id}}',
          '{{job.parameters.date}}',
        ]),
      ],
    });
    const runId = await runNow(emu, { job_id: jobId, job_parameters: { date: '2026-11-26' } });
    const run = await waitForTerminal(emu, runId);
    expect(run.state.result_state).toBe('SUCCESS');

    const out = await output(run.tasks[0].run_id);
    const result = JSON.parse(out.notebook_output.result);
    expect(result).toEqual({
      argv: ['--keep-token-in', tokenFile, `--run=${runId}`, '2026-11-26'],
      host: emu.url,
      api_status: 200,
      own_state: 'RUNNING',
    });
    expect(out.logs).toContain('hello from the task\n');
    expect(out.logs).toContain('a warning\n');
    expect(out.logs_truncated).toBe(false);
    expect(out.error).toBeUndefined();

    // The task token was issued for this task only and is revoked when it ends.
    const token = readFileSync(tokenFile, 'utf8');
    const afterwards = await emu.api('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`, undefined, { token });
    expect(afterwards.status).toBe(401);
    expect(afterwards.body.error_code).toBe('UNAUTHENTICATED');
    expect((emu.handle.stats() as any).tokens.issued).toBeGreaterThanOrEqual(1);
  });

  test('a non-zero exit fails the task with RUN_EXECUTION_ERROR, the exception as error and the traceback', async () => {
    const run = await waitForTerminal(
      emu,
      await submit(emu, { tasks: [pythonTask(fixture('failing_task.py'))] }),
    );
    expect(run.state.result_state).toBe('FAILED');
    expect(run.tasks[0].status.termination_details).toMatchObject({
      code: 'RUN_EXECUTION_ERROR',
      type: 'CLIENT_ERROR',
    });
    const out = await output(run.tasks[0].run_id);
    expect(out.error).toBe('ValueError: bad input: 42 rows');
    expect(out.error_trace).toContain('Traceback (most recent call last)');
    expect(out.logs).toContain('loading data');
    expect(out.notebook_output).toBeUndefined();
  });

  test('logs keep the tail and set logs_truncated past the limit', async () => {
    const run = await waitForTerminal(
      emu,
      await submit(emu, { tasks: [pythonTask(fixture('chatty_task.py'), ['2000'])] }),
    );
    const out = await output(run.tasks[0].run_id);
    expect(out.logs_truncated).toBe(true);
    expect(Buffer.byteLength(out.logs)).toBeLessThanOrEqual(4096);
    expect(out.logs.endsWith('LAST LINE\n')).toBe(true);
  });

  test('cancel kills the process and what it started', async () => {
    const pidFile = path.join(scratch, 'cancel.pids');
    const runId = await submit(emu, { tasks: [pythonTask(fixture('sleepy_task.py'), [pidFile])] });
    await waitFor(async () => existsSync(pidFile), Boolean, { what: 'the task to write its pids' });
    const pids = readFileSync(pidFile, 'utf8').split(' ').map(Number);
    expect(pids.every(alive)).toBe(true);
    expect((await getRun(emu, runId)).state.life_cycle_state).toBe('RUNNING');

    await emu.api('POST', '/api/2.1/jobs/runs/cancel', { run_id: runId });
    const run = await waitForTerminal(emu, runId);
    expect(run.state.result_state).toBe('CANCELED');
    await waitFor(
      async () => pids.some(alive),
      (anyAlive) => !anyAlive,
      { what: 'the task processes to exit' },
    );
    expect((await output(run.tasks[0].run_id)).logs).toContain('sleeping');
  });

  test('task timeout_seconds kills a Python task and reports TIMEDOUT', async () => {
    const pidFile = path.join(scratch, 'timeout.pids');
    const runId = await submit(emu, {
      // 3 s: Python must start and write its pid file first, which a loaded machine can slow.
      tasks: [pythonTask(fixture('sleepy_task.py'), [pidFile], { timeout_seconds: 3 })],
    });
    const run = await waitForTerminal(emu, runId);
    expect(run.tasks[0].state.result_state).toBe('TIMEDOUT');
    const pids = readFileSync(pidFile, 'utf8').split(' ').map(Number);
    await waitFor(
      async () => pids.some(alive),
      (anyAlive) => !anyAlive,
      { what: 'the task processes to exit' },
    );
  });

  test('a python_file that is not on this machine follows scenario rules instead', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'py' }, durationMs: 20, output: 'scripted' });
    const run = await waitForTerminal(
      emu,
      await submit(emu, { tasks: [pythonTask('/Workspace/Users/me/train.py')] }),
    );
    expect((await output(run.tasks[0].run_id)).notebook_output.result).toBe('scripted');
    await emu.control('DELETE', '/scenarios');
  });
});

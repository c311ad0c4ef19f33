/**
 * The MLflow client and activities against the emulator, with train.py and score.py running as real
 * spark_python_tasks (runs/submit), their LAKELOOP_TASK_OUTPUT line read back through get-output.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { createActivities } from '../../src/activities/index.js';
import { PAT, startTestEmulator, submit, waitForTerminal, type TestEmulator } from '../emulator/helpers.js';
import { databricksClientFor } from '../helpers/workspace.js';
import { testActivityDeps } from '../helpers/temporal.js';
import { defineMlflowSuite, JOBS, type MlflowTarget } from './shared-suite.js';

let emu: TestEmulator;
let target: MlflowTarget;

beforeAll(async () => {
  emu = await startTestEmulator();
  target = {
    http: databricksClientFor(emu),
    async runJob(script, args) {
      const runId = await submit(emu, {
        run_name: `mlflow-test-${script}`,
        tasks: [
          {
            task_key: 'job',
            spark_python_task: { python_file: pathToFileURL(path.join(JOBS, script)).href, parameters: args },
          },
        ],
      });
      const run = await waitForTerminal(emu, runId, 90_000);
      const output = (await emu.api('GET', `/api/2.1/jobs/runs/get-output?run_id=${run.tasks[0].run_id}`))
        .body;
      if (run.state.result_state !== 'SUCCESS')
        throw new Error(`${script} failed: ${JSON.stringify(output).slice(0, 4000)}`);
      return JSON.parse(output.notebook_output.result);
    },
    async fetchBytes(pathname) {
      const response = await fetch(`${emu.url}${pathname}`, { headers: { authorization: `Bearer ${PAT}` } });
      if (!response.ok) throw new Error(`GET ${pathname}: ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}, 30_000);

afterAll(async () => {
  await emu?.close();
});

describe('MLflow client and activities against the emulator (jobs as spark_python_tasks)', () => {
  defineMlflowSuite(() => target);

  test('the jobs used MLflow through the emulator API, counted in stats', async () => {
    const stats = await emu.control<{ requests: Record<string, number> }>('GET', '/stats');
    expect(stats.requests['POST /api/2.0/mlflow/runs/log-batch']).toBeGreaterThanOrEqual(2);
    expect(stats.requests['POST /api/2.0/mlflow/runs/update']).toBeGreaterThanOrEqual(2);
    expect(
      Object.keys(stats.requests).some((key) => key.startsWith('PUT /api/2.0/mlflow-artifacts/artifacts/')),
    ).toBe(true);
  });
});

describe('MLflow activities without a workspace', () => {
  test('fail non-retryably with DatabricksNotConfigured', async () => {
    const activities = createActivities(testActivityDeps());
    await expect(activities.fetchRunMetrics('abc')).rejects.toMatchObject({
      type: 'DatabricksNotConfigured',
      nonRetryable: true,
    });
  });
});

/**
 * The strongest evidence that the emulator pages the Jobs API 2.2 the way Databricks does: the official
 * Databricks SDK for Python (pinned in test/conformance/requirements.txt) merges the pages with its own
 * hand-written code (databricks/sdk/mixins/jobs.py) and gets every task, job cluster, job parameter and
 * for_each iteration back. The checks are in test/conformance/sdk_jobs22.py.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ensurePythonVenv } from '../../scripts/python-venv.js';
import type { TestEmulator } from './helpers.js';
import { PAT, startTestEmulator } from './helpers.js';
import { runConformanceScript } from './python-script.js';

describe('official Databricks SDK for Python: Jobs API 2.2 paging, for_each, disabled tasks, export', () => {
  let emu: TestEmulator;
  let python: string;
  beforeAll(async () => {
    python = (await ensurePythonVenv()).python;
    emu = await startTestEmulator();
  }, 10 * 60_000);
  afterAll(async () => {
    await emu?.close();
  });

  test(
    'sdk_jobs22.py passes',
    async () => {
      const result = await runConformanceScript(python, 'sdk_jobs22.py', {
        DATABRICKS_HOST: emu.url,
        DATABRICKS_TOKEN: PAT,
      });
      if (result.code !== 0) console.error(`sdk_jobs22.py exited with ${result.code}:\n${result.output}`);
      expect(result.code).toBe(0);
      expect(result.output).toContain('sdk jobs 2.2: all checks passed');
    },
    5 * 60_000,
  );
});

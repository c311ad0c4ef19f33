/**
 * Conformance with a client nobody here wrote: the official Databricks SDK for Python (pinned in
 * test/conformance/requirements.txt) drives the emulator end to end (test/conformance/sdk_conformance.py).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { ensurePythonVenv, projectRoot } from '../../scripts/python-venv.js';
import type { TestEmulator } from './helpers.js';
import { PAT, startTestEmulator } from './helpers.js';

describe('official Databricks SDK for Python against the emulator', () => {
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
    'sdk_conformance.py passes',
    async () => {
      const script = path.join(projectRoot, 'test', 'conformance', 'sdk_conformance.py');
      const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = execFile(
          python,
          [script],
          {
            cwd: projectRoot,
            timeout: 4 * 60_000,
            env: {
              PATH: process.env.PATH ?? '',
              HOME: process.env.HOME ?? '',
              DATABRICKS_HOST: emu.url,
              DATABRICKS_TOKEN: PAT,
            },
          },
          (error, stdout, stderr) =>
            resolve({ code: error ? (child.exitCode ?? 1) : 0, output: `${stdout}\n${stderr}` }),
        );
      });
      if (result.code !== 0)
        console.error(`sdk_conformance.py exited with ${result.code}:\n${result.output}`);
      expect(result.code).toBe(0);
      expect(result.output).toContain('sdk conformance: all checks passed');
    },
    5 * 60_000,
  );
});

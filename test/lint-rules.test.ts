/**
 * The workflow sandbox rule in eslint.config.js is what keeps I/O out of workflow code at review time.
 * These tests lint probe sources as if they lived in src/workflows/ and check the rule really fires.
 */
import { describe, expect, test } from '@jest/globals';
import { ESLint } from 'eslint';

// Type information is irrelevant to import restrictions; skipping it keeps the probe independent of tsconfig.
const eslint = new ESLint({
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/await-thenable': 'off',
      '@typescript-eslint/no-unused-vars': 'off',
    },
  },
});

async function restrictedImportMessages(
  source: string,
  filePath = 'src/workflows/probe.ts',
): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

describe('workflow sandbox lint rule', () => {
  test.each([
    ["import fs from 'node:fs';"],
    ["import { readFile } from 'fs';"],
    ["import http from 'node:http';"],
    ["import { createActivities } from '../activities/index.js';"],
    ["import { Worker } from '@temporalio/worker';"],
    ["import * as oidc from 'openid-client';"],
  ])('rejects %s in src/workflows', async (source) => {
    expect(await restrictedImportMessages(source)).toHaveLength(1);
  });

  test('allows type-only imports of activities and the workflow API', async () => {
    const source = [
      "import type { createActivities } from '../activities/index.js';",
      "import { proxyActivities, sleep } from '@temporalio/workflow';",
    ].join('\n');
    expect(await restrictedImportMessages(source)).toEqual([]);
  });

  test('does not restrict activities or other code', async () => {
    expect(await restrictedImportMessages("import fs from 'node:fs';", 'src/activities/probe.ts')).toEqual(
      [],
    );
  });
});

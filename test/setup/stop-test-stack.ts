import { rmSync } from 'node:fs';
import { SECRETS_DIR_ENV } from '../helpers/secrets-ledger.js';
import { assertNoLeaks, summaryLine, sweepTestRun } from './secrets-sweep-run.js';

export async function stopTestStack(): Promise<void> {
  const env = globalThis.__lakeloopTestEnv;
  const secretsDir = process.env[SECRETS_DIR_ENV];
  try {
    // Before the dev server stops: the sweep reads every workflow history from it. A leak throws,
    // which Jest turns into a failed run (exit code 1).
    if (env && secretsDir) {
      const summary = await sweepTestRun(env, secretsDir);
      console.log(summaryLine(summary));
      assertNoLeaks(summary);
    }
  } finally {
    // The connections, the dev server and the workflow bundle (test/setup/start-test-stack.ts).
    await globalThis.__lakeloopTestCleanup?.stop();
    globalThis.__lakeloopTestCleanup = undefined;
    globalThis.__lakeloopTestEnv = undefined;
    if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
  }
}

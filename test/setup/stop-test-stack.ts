import { rmSync } from 'node:fs';

export async function stopTestStack(): Promise<void> {
  await globalThis.__lakeloopTestEnv?.teardown();
  globalThis.__lakeloopTestEnv = undefined;
  const bundle = process.env.LAKELOOP_TEST_WORKFLOW_BUNDLE;
  if (bundle) rmSync(bundle, { force: true });
}

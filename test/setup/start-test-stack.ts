/**
 * Starts one real Temporal dev server (the local stack's starter, scripts/lib/local-stack.ts, with the
 * CLI binary from .tools) and bundles the workflow code once for the whole suite. Test files reach
 * both through env variables that Jest's workers inherit; global-teardown.ts stops the server.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort } from '../../scripts/lib/processes.js';
import { Cleanup, startEphemeralTemporal } from '../../scripts/lib/local-stack.js';
import { projectRoot, resolveTemporalBinary } from '../../scripts/lib/temporal-cli.js';
import { workflowsPath } from '../../src/workflows-path.js';
import { SECRETS_DIR_ENV } from '../helpers/secrets-ledger.js';

declare global {
  var __lakeloopTestEnv: TestWorkflowEnvironment | undefined;
  /** What the global teardown stops after the secrets sweep. */
  var __lakeloopTestCleanup: Cleanup | undefined;
}

export async function startTestStack(): Promise<void> {
  // The secrets ledger every test process appends to; swept and removed by the global teardown.
  process.env[SECRETS_DIR_ENV] = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-test-secrets-'));
  const cli = resolveTemporalBinary('cli');
  console.log(`\n${cli.summary}`);
  // The Web UI (served by the same process, idle unless opened) is on for test/ui; a free port,
  // because the SDK's default (gRPC port + 1000) may be taken.
  const uiPort = await freePort();
  const cleanup = new Cleanup();
  globalThis.__lakeloopTestCleanup = cleanup;
  const { env, uiUrl } = await startEphemeralTemporal(cleanup, { cli, uiPort });
  globalThis.__lakeloopTestEnv = env;

  const bundleDir = path.join(projectRoot, '.lakeloop', 'test');
  mkdirSync(bundleDir, { recursive: true });
  const bundlePath = path.join(bundleDir, `workflow-bundle-${process.pid}.js`);
  // The same bundle as production's default (scripts/build-workflow-bundle.ts without --tracing);
  // test/observability/tracing.test.ts bundles its own with the tracing interceptors.
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  await writeFile(bundlePath, code);
  cleanup.add('workflow bundle', () => rmSync(bundlePath, { force: true }));

  process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS = env.address;
  if (uiUrl) process.env.LAKELOOP_TEST_TEMPORAL_UI = uiUrl;
  process.env.LAKELOOP_TEST_WORKFLOW_BUNDLE = bundlePath;
}

// Webpack's build report is noise in test output; warnings and errors still surface.
const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

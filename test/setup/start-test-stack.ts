/**
 * Starts one real Temporal dev server (the CLI binary, never a download when a local one exists) and
 * bundles the workflow code once for the whole suite. Test files reach both through env variables
 * that Jest's workers inherit; global-teardown.ts stops the server.
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { projectRoot, resolveTemporalBinary, sdkExecutable } from '../../scripts/lib/temporal-cli.js';
import { LAKELOOP_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes.js';
import { workflowsPath } from '../../src/workflows-path.js';

declare global {
  var __lakeloopTestEnv: TestWorkflowEnvironment | undefined;
}

export async function startTestStack(): Promise<void> {
  const cli = resolveTemporalBinary('cli');
  console.log(`\n${cli.summary}`);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: sdkExecutable(cli),
      ip: '127.0.0.1',
      searchAttributes: LAKELOOP_SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'warn' },
    },
  });
  globalThis.__lakeloopTestEnv = env;

  const bundleDir = path.join(projectRoot, '.lakeloop', 'test');
  mkdirSync(bundleDir, { recursive: true });
  const bundlePath = path.join(bundleDir, `workflow-bundle-${process.pid}.js`);
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  await writeFile(bundlePath, code);

  process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS = env.address;
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

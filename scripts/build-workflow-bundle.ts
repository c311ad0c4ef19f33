/**
 * `node lib/scripts/build-workflow-bundle.js OUT.js [--tracing]` (after `npm run build`; from source:
 * `node --import tsx scripts/build-workflow-bundle.ts …`) — pre-bundles the workflow
 * code so the production worker starts without webpack (set LAKELOOP_WORKFLOW_BUNDLE=OUT.js). With
 * --tracing it also writes OUT.tracing.js, which includes OpenTelemetry's workflow interceptors; the
 * worker uses that twin when the OTEL_* variables turn tracing on. Used by the Dockerfile.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { tracingBundlePath, workflowInterceptorModules, workflowsPath } from '../src/workflows-path.js';

const [out, flag] = process.argv.slice(2);
if (!out || (flag !== undefined && flag !== '--tracing')) {
  console.error('usage: build-workflow-bundle.ts OUT.js [--tracing]');
  process.exit(2);
}
mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
const bundles: [string, string[]][] = [[out, []]];
if (flag === '--tracing') bundles.push([tracingBundlePath(out), workflowInterceptorModules()]);
for (const [file, workflowInterceptorModules] of bundles) {
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), workflowInterceptorModules });
  writeFileSync(file, code);
  console.log(`workflow bundle written to ${file} (${(code.length / 1024).toFixed(0)} KiB)`);
}

/**
 * `node --import tsx scripts/build-workflow-bundle.ts OUT.js` — pre-bundles the workflow code so the
 * production worker starts without webpack (set LAKELOOP_WORKFLOW_BUNDLE=OUT.js). Used by the Dockerfile.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../src/workflows-path.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: build-workflow-bundle.ts OUT.js');
  process.exit(2);
}
const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath() });
mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
writeFileSync(out, code);
console.log(`workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} KiB)`);

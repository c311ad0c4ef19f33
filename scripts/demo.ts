/**
 * `npm run demo [-- --keep]` — the whole product on the embedded local stack, in one command.
 *
 * Today (foundation) it proves the path end to end: it starts the Temporal dev server with Lakeloop's
 * search attributes and a Lakeloop worker, runs the health-check workflow through the client, prints
 * what ran where and the Web UI link, then stops everything. The churn-model pipeline (train →
 * evaluate → gate → register → score) replaces the health check when the pipeline lands.
 */
import { parseArgs } from 'node:util';
import { formatHealthCheck, runDoctor } from '../src/client/commands/doctor.js';
import { connectClient } from '../src/client/connect.js';
import { loadConfig } from '../src/config/index.js';
import { isPortFree } from './lib/processes.js';
import { startStack, workerService } from './lib/stack.js';

const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
const started = Date.now();
const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);

// The usual ports when free (so the UI is where the README says), otherwise any free ones.
const port = (await isPortFree(7233)) ? 7233 : 0;
const uiPort = (await isPortFree(8233)) ? 8233 : 0;

step('starting the local stack (Temporal dev server + Lakeloop worker)…');
const stack = await startStack({ port, uiPort, keepData: false, services: [workerService({ echo: false })] });
let exitCode = 0;
try {
  for (const [label, value] of stack.settings.addresses) console.log(`    ${label.padEnd(16)} ${value}`);
  step('running the health-check workflow through the Lakeloop client…');
  const lakeloop = await connectClient(loadConfig({ ...process.env, ...stack.settings.env }));
  try {
    const result = await runDoctor(lakeloop, { timeoutSeconds: 60, requestedBy: 'npm run demo' });
    step('workflow completed:');
    console.log(formatHealthCheck(result).replace(/^/gm, '    '));
    const ui = stack.settings.addresses.find(([label]) => label === 'Temporal Web UI')?.[1];
    console.log(`    see it in the UI: ${ui}/namespaces/default/workflows/${result.workflowId}`);
  } finally {
    await lakeloop.close();
  }
  if (values.keep) {
    step('--keep: the stack stays up; press Ctrl-C to stop it.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  step('stopping the local stack…');
  await stack.stop();
}
step(exitCode === 0 ? 'demo finished.' : 'demo failed.');
process.exit(exitCode);

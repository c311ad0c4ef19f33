/**
 * `npm run stack [-- --no-worker] [the stack flags]`: starts the local stack and keeps it up until
 * Ctrl-C / SIGTERM / SIGHUP, then stops every process it started, once, and removes stack.env.
 */
import { onStopSignals } from './lib/stop-signals.js';
import { scriptArgsOrExit, STACK_FLAGS_USAGE } from './lib/script-args.js';
import path from 'node:path';
import { startStack, workerService, type StackService } from './lib/stack.js';
import { workspaceService } from './lib/workspace-service.js';

const USAGE = `usage: npm run stack -- [flags]

Starts the local stack (Temporal dev server with Lakeloop's search attributes, the Databricks emulator,
a Lakeloop worker) and keeps it up until Ctrl-C.

  --no-worker          start everything but the worker (run \`npm run worker\` yourself)
  --cluster            the real Temporal server on PostgreSQL 15 instead of the dev server, and the
                       Web UI's own server on --ui-port: both built from the Go module proxy on
                       first start (~5 + 3 min, cached under ~/.cache/lakeloop), data in --state-dir
${STACK_FLAGS_USAGE}`;

const { flags, values } = scriptArgsOrExit('npm run stack', USAGE, process.argv.slice(2), {
  'no-worker': { type: 'boolean', default: false },
  cluster: { type: 'boolean', default: false },
});
// Before anything starts: a Ctrl-C during start-up stops the stack once it is up.
const stop = onStopSignals();

const services: StackService[] = [
  workspaceService({
    port: flags.emulatorPort,
    statePath: path.join(flags.stateDir, 'emulator-state.json'),
    timeScale: flags.timeScale,
  }),
];
if (!values['no-worker']) services.push(workerService({ echo: true }));

try {
  const stack = await startStack({
    port: flags.port ?? 7233,
    uiPort: flags.uiPort ?? 8233,
    keepData: flags.keepData,
    verbose: flags.verbose,
    stateDir: flags.stateDir,
    cluster: values.cluster,
    services,
  });
  // If whoever started us dies without signalling (e.g. SIGKILL of npm), we are re-parented:
  // stop rather than leave a server nobody owns.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop.request('parent process gone');
  }, 1000).unref();
  void stack.serverExited.then((exit) => stop.request(`temporal server exited (${exit})`));

  if (stop.reason() === undefined) {
    console.log('Lakeloop local stack is up:');
    for (const [label, value] of stack.settings.addresses) console.log(`  ${label.padEnd(22)} ${value}`);
    if (values['no-worker']) console.log('  (no worker: start one with `npm run worker`)');
    console.log('Press Ctrl-C to stop.');
  }

  const reason = await stop.requested;
  const unexpected = reason.startsWith('temporal server exited');
  if (unexpected) console.error(`${reason} unexpectedly; stopping the rest`);
  else console.log(`\n${reason}: stopping the local stack…`);
  await stack.stop();
  console.log('local stack stopped');
  process.exit(unexpected ? 1 : 0);
} catch (err) {
  console.error(`npm run stack: ${(err as Error).message}`);
  process.exit(1);
}

/**
 * `npm run stack [-- --no-worker] [--keep-data] [--port 7233] [--ui-port 8233] [--emulator-port 0]
 *   [--time-scale 1] [--state-dir DIR] [--verbose]`
 * Starts the local stack and keeps it up until Ctrl-C / SIGTERM, then stops every process it started.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { startStack, workerService, type StackService } from './lib/stack.js';
import { projectRoot } from './lib/temporal-cli.js';
import { workspaceService } from './lib/workspace-service.js';

const { values } = parseArgs({
  options: {
    'no-worker': { type: 'boolean', default: false },
    'keep-data': { type: 'boolean', default: false },
    port: { type: 'string', default: '7233' },
    'ui-port': { type: 'string', default: '8233' },
    verbose: { type: 'boolean', default: false },
    'state-dir': { type: 'string' },
    'emulator-port': { type: 'string', default: '0' },
    'time-scale': { type: 'string', default: '1' },
  },
});

function portFlag(name: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--${name}: expected a port number from 0 to 65535 (got "${value}")`);
    process.exit(2);
  }
  return port;
}

const timeScale = Number(values['time-scale']);
if (!(timeScale > 0)) {
  console.error(`--time-scale: expected a positive number (got "${values['time-scale']}")`);
  process.exit(2);
}
const stateDir = values['state-dir'] ?? path.join(projectRoot, '.lakeloop');
const services: StackService[] = [
  workspaceService({
    port: portFlag('emulator-port', values['emulator-port']),
    statePath: path.join(stateDir, 'emulator-state.json'),
    timeScale,
  }),
];
if (!values['no-worker']) services.push(workerService({ echo: true }));

let stopping: Promise<void> | undefined;
try {
  const stack = await startStack({
    port: portFlag('port', values.port),
    uiPort: portFlag('ui-port', values['ui-port']),
    keepData: values['keep-data'],
    verbose: values.verbose,
    stateDir,
    services,
  });
  const stop = (reason: string) => {
    stopping ??= (async () => {
      console.log(`\n${reason}: stopping the local stack…`);
      await stack.stop();
      console.log('local stack stopped');
    })();
    return stopping;
  };
  process.on('SIGINT', () => void stop('SIGINT').then(() => process.exit(0)));
  process.on('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));
  // If whoever started us dies without signalling (e.g. SIGKILL of npm), we are re-parented:
  // stop rather than leave a server nobody owns.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('parent process gone').then(() => process.exit(0));
  }, 1000).unref();

  console.log('Lakeloop local stack is up:');
  for (const [label, value] of stack.settings.addresses) console.log(`  ${label.padEnd(22)} ${value}`);
  if (values['no-worker']) console.log('  (no worker: start one with `npm run worker`)');
  console.log('Press Ctrl-C to stop.');

  const exit = await stack.serverExited;
  if (!stopping) {
    console.error(`temporal server exited unexpectedly (${exit}); stopping the rest`);
    await stop('server exit');
    process.exit(1);
  }
} catch (err) {
  console.error(`npm run stack: ${(err as Error).message}`);
  process.exit(1);
}

/**
 * The local stack's services, one starter each, for every caller alike: `npm run stack` and
 * `npm run demo` (scripts/lib/stack.ts composes them), the test suite's global setup and its chaos
 * stack, and the benchmark. Each starter resolves once its service answers and returns something with
 * `stop()`; a `Cleanup` stops what was started in reverse order, once.
 *
 *   - startTemporalDevServer: `temporal server start-dev` from `.tools` (or TEMPORAL_CLI_PATH/PATH),
 *     with Lakeloop's search attributes, restartable on the same ports and SQLite file;
 *   - startEmulatorProcess: the Databricks emulator as a child process (`emulator/main.ts`);
 *   - startWorkerProcess: `src/worker.ts` as a child process configured only by its environment.
 *
 * The emulator in this process (scripts/lib/workspace-service.ts), the webhook receiver
 * (src/webhooks/receiver.ts) and the test OIDC provider (test/helpers/identity-provider.ts) are
 * started in-process by their own functions; a Cleanup stops them with the rest.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { searchAttributeCliFlags } from '../../src/shared/search-attributes.js';
import { freePort, isPortFree, sleep, startProcess, type ManagedProcess } from './processes.js';
import { projectRoot, requireLocalCli, type ResolvedBinary } from './temporal-cli.js';

/** Stops what was started, last first, once; a failing stop is reported and the rest still stop. */
export class Cleanup {
  private readonly stoppers: Array<{ name: string; stop(): Promise<unknown> | unknown }> = [];

  add(name: string, stop: () => Promise<unknown> | unknown): void {
    this.stoppers.push({ name, stop });
  }

  async stop(): Promise<void> {
    for (const stopper of this.stoppers.splice(0).reverse()) {
      try {
        await stopper.stop();
      } catch (err) {
        console.error(`stopping ${stopper.name}: ${String(err)}`);
      }
    }
  }
}

/** A requested port, refused when taken; 0 picks a free one. */
export async function choosePort(requested: number, what: string, flag: string): Promise<number> {
  if (requested === 0) return freePort();
  if (!(await isPortFree(requested))) {
    throw new Error(
      `${what} port ${requested} is already in use (another stack running?); choose one with ${flag}`,
    );
  }
  return requested;
}

export const DEV_SERVER_NAMESPACE = 'default';

/**
 * What the Temporal SDK's TestWorkflowEnvironment.createLocal passes to `start-dev` besides ports and
 * logs (sdk-core crates/sdk-core/src/ephemeral_server/mod.rs, TemporalDevServerConfig): the test
 * suite and the benchmark ran on these before they used this starter, so they keep them.
 */
const SDK_DEV_SERVER_FLAGS = [
  '--dynamic-config-value',
  'frontend.enableServerVersionCheck=false',
  '--dynamic-config-value',
  'frontend.enableUpdateWorkflowExecution=true',
  '--dynamic-config-value',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
];

export interface DevServerOptions {
  /** gRPC port on 127.0.0.1 (already chosen: see choosePort). */
  port: number;
  /** Web UI port, or `false` for none (`--headless`). */
  uiPort: number | false;
  /** SQLite file; none keeps everything in memory. */
  dbFile?: string;
  logLevel: 'warn' | 'info';
  /** The CLI's default (text) unless given. */
  logFormat?: 'pretty' | 'json';
  /** Print the server's output as "[temporal] line". */
  echo?: boolean;
  /** Further `start-dev` flags (e.g. SDK_DEV_SERVER_FLAGS). */
  extraArgs?: string[];
  /** Resolved to the CLI of scripts/lib/temporal-cli.ts unless given. */
  cli?: string;
  /**
   * In a process group of its own (the default), as the stack's services are: a terminal's Ctrl-C
   * reaches only the script that owns the stack, which stops the services in order
   * (scripts/lib/stop-signals.ts). `false` leaves it in ours, so Ctrl-C reaches it directly (tests, bench).
   */
  ownProcessGroup?: boolean;
}

export interface DevServer {
  /** host:port of the gRPC frontend. */
  address: string;
  /** e.g. http://127.0.0.1:8233, when the UI is on. */
  uiUrl?: string;
  /** The current server process (a new one after restart()). */
  process(): ManagedProcess;
  /**
   * Stops the server (SIGTERM, or SIGKILL with `kill`) and starts it again on the same ports and
   * SQLite file; resolves once it answers with the search attributes registered.
   */
  restart(options?: { kill?: boolean }): Promise<void>;
  /** SIGTERM (then SIGKILL after a grace period), or SIGKILL at once with `kill`. */
  stop(options?: { kill?: boolean }): Promise<void>;
}

async function waitForServer(
  address: string,
  server: ManagedProcess,
  timeoutMs: number,
): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`temporal server exited during start-up:\n${server.recentOutput().join('\n')}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      lastError = err;
      await sleep(250);
    }
  }
  throw new Error(
    `temporal server did not answer on ${address} within ${timeoutMs / 1000}s: ${String(lastError)}`,
  );
}

/**
 * `temporal server start-dev` on 127.0.0.1 with Lakeloop's search attributes, resolved once it
 * answers and `ready` (e.g. a search-attribute check) passes on a connection to it.
 */
export async function startTemporalDevServer(
  options: DevServerOptions,
  ready: (connection: Connection) => Promise<void> = async () => undefined,
): Promise<DevServer> {
  const cli = options.cli ?? requireLocalCli();
  const address = `127.0.0.1:${options.port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    ...(options.uiPort === false ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    '--namespace',
    DEV_SERVER_NAMESPACE,
    ...(options.logFormat ? ['--log-format', options.logFormat] : []),
    '--log-level',
    options.logLevel,
    ...searchAttributeCliFlags(),
    ...(options.extraArgs ?? []),
  ];
  const detached = options.ownProcessGroup ?? true;
  const launch = () => startProcess('temporal', cli, args, { echo: options.echo ?? false, detached });
  const awaitReady = async (server: ManagedProcess) => {
    const connection = await waitForServer(address, server, 60_000);
    try {
      await ready(connection);
    } finally {
      await connection.close();
    }
  };
  let server = launch();
  const stop = async ({ kill = false } = {}) => {
    if (!kill) return server.stop();
    server.kill('SIGKILL');
    await server.exited;
  };
  try {
    await awaitReady(server);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    address,
    uiUrl: options.uiPort === false ? undefined : `http://127.0.0.1:${options.uiPort}`,
    process: () => server,
    async restart(how) {
      await stop(how);
      server = launch();
      await awaitReady(server);
    },
    stop,
  };
}

/**
 * An in-memory dev server with the SDK's flags, and a TestWorkflowEnvironment connected to it: what
 * TestWorkflowEnvironment.createLocal gave the test suite, the benchmark and the history recorder
 * before (a free gRPC port, pretty WARN logs, SIGKILL on stop), now started like the rest of the stack.
 * `cleanup` stops both.
 */
export async function startEphemeralTemporal(
  cleanup: Cleanup,
  options: { cli: ResolvedBinary; uiPort: number | false },
): Promise<{ env: TestWorkflowEnvironment; server?: DevServer; uiUrl?: string }> {
  if (!options.cli.path) {
    // No local binary and no registry to install one from: the SDK's own download (needs internet),
    // with the same flags it always passed.
    console.error(options.cli.summary);
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        ...(options.uiPort === false ? {} : { ui: true, uiPort: options.uiPort }),
        extraArgs: searchAttributeCliFlags(),
      },
    });
    cleanup.add('temporal', () => env.teardown());
    return { env, ...(options.uiPort === false ? {} : { uiUrl: `http://127.0.0.1:${options.uiPort}` }) };
  }
  const server = await startTemporalDevServer({
    cli: options.cli.path,
    port: await freePort(),
    uiPort: options.uiPort,
    logFormat: 'pretty',
    logLevel: 'warn',
    echo: true,
    extraArgs: SDK_DEV_SERVER_FLAGS,
    ownProcessGroup: false,
  });
  // In memory, nothing to flush: SIGKILL, as the SDK's TestWorkflowEnvironment.teardown() did.
  cleanup.add('temporal', () => server.stop({ kill: true }));
  const env = await TestWorkflowEnvironment.createFromExistingServer({
    address: server.address,
    namespace: DEV_SERVER_NAMESPACE,
  });
  cleanup.add('temporal connections', () => env.teardown());
  return { env, server, uiUrl: server.uiUrl };
}

export interface EmulatorProcess {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * `node --import tsx emulator/main.ts ARGS` in its own process group, resolved with its URL once it
 * prints "emulator listening on …" (failing with its output if it exits or stays silent first).
 */
export async function startEmulatorProcess(
  args: string[],
  options: { echo?: boolean | 'stderr'; readyTimeoutMs?: number } = {},
): Promise<EmulatorProcess> {
  const emulator = startProcess(
    'emulator',
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'emulator', 'main.ts'), ...args],
    { cwd: projectRoot, echo: options.echo ?? false, detached: true },
  );
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    const line = emulator.recentOutput().find((l) => /^emulator listening on http:\/\/\S+$/.test(l));
    if (line) {
      return {
        url: line.slice('emulator listening on '.length),
        process: emulator,
        stop: () => emulator.stop(),
      };
    }
    if (emulator.child.exitCode !== null || Date.now() > deadline) {
      await emulator.stop();
      throw new Error(`the emulator did not start:\n${emulator.recentOutput().join('\n')}`);
    }
    await sleep(50);
  }
}

/**
 * `src/worker.ts` as a child process configured only by `env`, resolved once it says it is polling
 * (failing with its output if it exits or stays silent first).
 */
export async function startWorkerProcess(
  env: NodeJS.ProcessEnv,
  options: { echo: boolean; name?: string; readyTimeoutMs?: number },
): Promise<ManagedProcess> {
  const worker = startProcess(
    options.name ?? 'worker',
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'src/worker.ts')],
    // Its own process group: see DevServerOptions.ownProcessGroup.
    { cwd: projectRoot, echo: options.echo, env, detached: true },
  );
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (!worker.recentOutput().some((l) => l.includes('lakeloop worker polling'))) {
    if (worker.child.exitCode !== null || Date.now() > deadline) {
      await worker.stop();
      throw new Error(`worker failed to start:\n${worker.recentOutput().join('\n')}`);
    }
    await sleep(100);
  }
  return worker;
}

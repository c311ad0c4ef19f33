/**
 * The local stack: a Temporal dev server (or, with `cluster`, the real Temporal server on PostgreSQL:
 * scripts/lib/cluster/) with Lakeloop's search attributes, then any further
 * services (emulator, webhook receiver, worker) in order. Each service receives the settings the
 * earlier ones produced and may add its own; together they are written to `.lakeloop/stack.env`,
 * which `npm run worker` and `lakeloop` read, so both work against the stack with no flags.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Connection } from '@temporalio/client';
import { missingSearchAttributes as findMissingSearchAttributes } from '../../src/temporal/search-attributes.js';
import { STACK_ENV_RELATIVE_PATH } from '../../src/config/env.js';
import {
  choosePort,
  Cleanup,
  DEV_SERVER_NAMESPACE,
  startTemporalDevServer,
  startWorkerProcess,
} from './local-stack.js';
import { ensureTemporalUi, startTemporalUi, type TemporalUi } from './cluster/ui-server.js';
import { startTemporalCluster } from './cluster/cluster.js';
import { projectRoot, requireLocalCli } from './temporal-cli.js';

export interface StackSettings {
  /** Environment variables other processes need to use the stack (TEMPORAL_ADDRESS, …). */
  env: Record<string, string>;
  /** Lines to print for people: "Temporal gRPC  127.0.0.1:7233", … */
  addresses: Array<[label: string, value: string]>;
  /**
   * The Temporal Web UI of the stack's namespace, e.g. http://127.0.0.1:8233/namespaces/default;
   * none on the cluster stack (only the CLI's dev server serves one).
   */
  temporalUiUrl?: string;
}

export interface StackService {
  name: string;
  start(settings: StackSettings): Promise<{ stop(): Promise<void> }>;
}

export interface StackOptions {
  /** gRPC port; 0 picks a free one. */
  port: number;
  /** Web UI port; 0 picks a free one. */
  uiPort: number;
  /** Keep the SQLite database from the previous run instead of starting empty. */
  keepData: boolean;
  /** Services to start after the dev server, in order (stopped in reverse). */
  services: StackService[];
  /** Print the dev server's own output. */
  verbose?: boolean;
  /** Folder for state; defaults to `.lakeloop/` in the project. */
  stateDir?: string;
  /**
   * The real Temporal server on PostgreSQL (scripts/lib/cluster/) instead of the CLI's dev server on
   * SQLite, with the UI's own server (scripts/lib/cluster/ui-server.ts) on `uiPort`.
   */
  cluster?: boolean;
}

export interface RunningStack {
  settings: StackSettings;
  stop(): Promise<void>;
  /** Resolves if the current dev server process (or the cluster's server or PostgreSQL) exits on its own. */
  readonly serverExited: Promise<number | string>;
  /**
   * Stops the dev server (SIGTERM, or SIGKILL with `kill`) and starts it again on the same ports and
   * SQLite file; resolves once it answers. Workflows, timers and search attributes survive (chaos tests).
   */
  restartTemporal(options?: { kill?: boolean }): Promise<void>;
}

const NAMESPACE = DEV_SERVER_NAMESPACE;

/**
 * Lakeloop's search attributes that the server lacks, or holds with another type: a database kept
 * with --keep-data from before DatabricksRunId/DatabricksJobId became Keywords has them as Int, and
 * Temporal cannot change an attribute's type.
 */
export async function missingSearchAttributes(
  connection: Connection,
  namespace = NAMESPACE,
): Promise<string[]> {
  return (await findMissingSearchAttributes(connection, namespace)).map((p) =>
    p.wrongType
      ? `${p.name} (registered with another type; Lakeloop needs ${p.type}: start without --keep-data)`
      : p.name,
  );
}

export function writeStackEnv(file: string, env: Record<string, string>): void {
  const lines = [
    '# Written by `npm run stack`; read by `npm run worker` and `lakeloop` while the stack runs.',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** The stack's Temporal, whichever kind: what startStack needs of it. */
interface StackTemporal {
  address: string;
  addresses: Array<[label: string, value: string]>;
  uiUrl?: string;
  readonly exited: Promise<number | string>;
  restart(options?: { kill?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

async function startDevServerTemporal(options: StackOptions, stateDir: string): Promise<StackTemporal> {
  const dbFile = path.join(stateDir, 'temporal.sqlite');
  if (!options.keepData) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbFile}${suffix}`, { force: true });
  }
  const cli = requireLocalCli();
  const port = await choosePort(options.port, 'Temporal gRPC', '--port');
  const uiPort = await choosePort(options.uiPort, 'Temporal UI', '--ui-port');
  const server = await startTemporalDevServer(
    { cli, port, uiPort, dbFile, logLevel: options.verbose ? 'info' : 'warn', echo: options.verbose },
    async (connection) => {
      const missing = await missingSearchAttributes(connection);
      if (missing.length > 0) throw new Error(`search attributes not registered: ${missing.join(', ')}`);
    },
  );
  return {
    address: server.address,
    addresses: [
      ['Temporal gRPC', server.address],
      ['Temporal Web UI', `http://127.0.0.1:${uiPort}`],
      ['SQLite database', dbFile],
      ['Temporal server', `pid ${server.process().child.pid}`],
    ],
    uiUrl: `http://127.0.0.1:${uiPort}/namespaces/${NAMESPACE}`,
    get exited() {
      return server.process().exited;
    },
    restart: (how) => server.restart(how),
    stop: () => server.stop(),
  };
}

async function startClusterTemporal(options: StackOptions, stateDir: string): Promise<StackTemporal> {
  // --port as given (the dev server's default 7233 is below 32768); 0: one of the cluster's low ports.
  const port = options.port === 0 ? 0 : await choosePort(options.port, 'Temporal gRPC', '--port');
  // Before anything starts: a taken UI port is refused as the dev server's is.
  const uiPort = await choosePort(options.uiPort, 'Temporal UI', '--ui-port');
  const cluster = await startTemporalCluster({
    stateDir,
    port,
    keepData: options.keepData,
    verbose: options.verbose,
  });
  let ui: TemporalUi | undefined;
  let noUi = '';
  try {
    // The UI is a convenience: a build the module proxy refuses (or any UI fault) leaves the stack
    // without it, said in the address table, rather than without a cluster.
    const build = await ensureTemporalUi({ log: (line) => console.error(line) });
    ui = await startTemporalUi({
      binary: build.binary,
      stateDir,
      temporalAddress: cluster.address,
      port: uiPort,
      namespace: NAMESPACE,
      echo: options.verbose,
    });
  } catch (err) {
    noUi = `none (${(err as Error).message.split('\n')[0]})`;
    console.error(`the cluster stack runs without a Web UI: ${(err as Error).message}`);
  }
  return {
    address: cluster.address,
    addresses: [
      ['Temporal gRPC', cluster.address],
      ['Temporal Web UI', ui ? `${ui.url}, pid ${ui.process.child.pid}` : noUi],
      ['Temporal server', `${cluster.build.version}, pid ${cluster.process().child.pid}`],
      ['PostgreSQL', `127.0.0.1:${cluster.postgres.port}, pid ${cluster.postgres.process.child.pid}`],
      ['PostgreSQL data', cluster.postgres.dataDir],
      ['Server config', cluster.configFile],
    ],
    ...(ui ? { uiUrl: `${ui.url}/namespaces/${NAMESPACE}` } : {}),
    exited: cluster.exited,
    restart: (how) => cluster.restart(how),
    stop: async () => {
      await ui?.stop();
      await cluster.stop();
    },
  };
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const stateDir = options.stateDir ?? path.join(projectRoot, '.lakeloop');
  mkdirSync(stateDir, { recursive: true });
  if (!options.keepData) rmSync(path.join(stateDir, 'emulator-state.json'), { force: true });
  const stackEnvFile = path.join(stateDir, path.basename(STACK_ENV_RELATIVE_PATH));
  const cleanup = new Cleanup();
  try {
    const temporal = options.cluster
      ? await startClusterTemporal(options, stateDir)
      : await startDevServerTemporal(options, stateDir);
    cleanup.add('temporal', () => temporal.stop());
    // Removed first on stop, so nobody reads the address of a stack that is going away.
    cleanup.add('settings file', () => rmSync(stackEnvFile, { force: true }));
    const settings: StackSettings = {
      env: { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: NAMESPACE },
      addresses: [...temporal.addresses],
      ...(temporal.uiUrl ? { temporalUiUrl: temporal.uiUrl } : {}),
    };
    for (const service of options.services) {
      const started = await service.start(settings);
      cleanup.add(service.name, () => started.stop());
    }
    writeStackEnv(stackEnvFile, settings.env);
    settings.addresses.push(['Settings file', stackEnvFile]);
    return {
      settings,
      stop: () => cleanup.stop(),
      get serverExited() {
        return temporal.exited;
      },
      restartTemporal: (restart) => temporal.restart(restart),
    };
  } catch (err) {
    await cleanup.stop();
    throw err;
  }
}

/** The worker as a child process (so it can be killed and restarted apart from the stack). */
export function workerService(options: {
  echo: boolean;
  /**
   * Append the workflows' OpenLineage events to this JSON-lines file, unless the environment already
   * says where they go (LAKELOOP_OPENLINEAGE_*).
   */
  openLineageFile?: string;
}): StackService {
  const lineageConfigured = Object.keys(process.env).some((k) => k.startsWith('LAKELOOP_OPENLINEAGE_'));
  const lineage =
    options.openLineageFile && !lineageConfigured
      ? { LAKELOOP_OPENLINEAGE_FILE_PATH: options.openLineageFile }
      : {};
  return {
    name: 'worker',
    async start(settings) {
      const worker = await startWorkerProcess(
        // WARN unless asked: at INFO the SDK prints webpack's build report on every start.
        {
          LAKELOOP_LOG_LEVEL: 'WARN',
          ...lineage,
          ...process.env,
          ...settings.env,
          LAKELOOP_STACK_ENV: 'off',
        },
        { echo: options.echo },
      );
      settings.addresses.push(['Worker', `pid ${worker.child.pid}`]);
      return { stop: () => worker.stop(35_000) };
    },
  };
}

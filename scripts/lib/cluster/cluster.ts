/**
 * A real Temporal cluster on this machine, for `npm run stack -- --cluster`: PostgreSQL 15 with its
 * data in the stack's state dir, the schema applied by temporal-sql-tool, and temporal-server (all
 * four services in one process) built from the Go module proxy (build-server.ts), with the `default`
 * namespace and Lakeloop's search attributes. Unlike `temporal server start-dev` this is the server a
 * production deployment runs, on the persistence and SQL visibility it would use.
 *
 * Order (recipe: /work/shared/reference/temporal-cluster.md): build (first start only) → PostgreSQL →
 * schema → server → namespace → search attributes. Stopping is the reverse; the caller's Cleanup
 * stops PostgreSQL after the server.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { INDEXED_VALUE_TYPE, LAKELOOP_SEARCH_ATTRIBUTES } from '../../../src/shared/search-attributes.js';
import { missingSearchAttributes } from '../../../src/temporal/search-attributes.js';
import { sleep, startProcess, type ManagedProcess } from '../processes.js';
import { ensureTemporalServer, type TemporalServerBuild } from './build-server.js';
import { chooseLowPorts, MAX_CLUSTER_PORT } from './ports.js';
import { PG_USER, startPostgres, type Postgres } from './postgres.js';
import { clusterEnv, writeClusterConfig, type ClusterPorts } from './temporal-config.js';

export const CLUSTER_NAMESPACE = 'default';
/** Closed workflows stay listed this long (the dev server's default is 24 h; a few days suits a stack kept with --keep-data). */
const RETENTION = '72h';

export interface ClusterOptions {
  stateDir: string;
  /** Frontend gRPC port; 0 picks one below 32768. */
  port: number;
  keepData: boolean;
  verbose?: boolean;
  log?: (line: string) => void;
}

export interface TemporalCluster {
  address: string;
  build: TemporalServerBuild;
  postgres: Postgres;
  configFile: string;
  /** The current temporal-server process (a new one after restart()). */
  process(): ManagedProcess;
  /** Resolves when the server or PostgreSQL exits on its own (neither should). */
  readonly exited: Promise<string>;
  /** Stops temporal-server (SIGTERM, or SIGKILL) and starts it again on the same ports and database. */
  restart(options?: { kill?: boolean }): Promise<void>;
  /** Stops the server, then PostgreSQL. */
  stop(): Promise<void>;
}

/** temporal-sql-tool with its connection settings in SQL_* variables (so the password is in no argv). */
function sqlTool(build: TemporalServerBuild, pg: Postgres, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(build.sqlTool, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        SQL_PLUGIN: 'postgres12',
        SQL_HOST: '127.0.0.1',
        SQL_PORT: String(pg.port),
        SQL_USER: PG_USER,
        SQL_PASSWORD: pg.password,
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `temporal-sql-tool ${args.join(' ')} failed (exit ${code}):\n${out.trim().split('\n').slice(-5).join('\n')}`,
            ),
          ),
    );
  });
}

/**
 * Creates both databases and their base schema on a fresh data dir, then brings both up to the
 * versioned schema of this server build (update-schema only applies what is missing, so on a kept
 * database it is a no-op or an upgrade).
 */
async function applySchema(build: TemporalServerBuild, pg: Postgres, fresh: boolean): Promise<void> {
  const databases = [
    { db: 'temporal', dir: path.join(build.schemaDir, 'temporal', 'versioned') },
    { db: 'temporal_visibility', dir: path.join(build.schemaDir, 'visibility', 'versioned') },
  ];
  for (const { db, dir } of databases) {
    if (fresh) {
      await sqlTool(build, pg, ['--db', db, 'create-database']);
      await sqlTool(build, pg, ['--db', db, 'setup-schema', '-v', '0.0']);
    }
    await sqlTool(build, pg, ['--db', db, 'update-schema', '-d', dir]);
  }
}

/** Retries `attempt` while the fresh server settles ("Not enough hosts…", "shard status unknown"). */
async function settle<T>(what: string, attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${String(err)}`);
      await sleep(500);
    }
  }
}

const isAlreadyExists = (err: unknown) => (err as { code?: number }).code === 6; // gRPC ALREADY_EXISTS

/** A visibility query naming every Lakeloop attribute with a literal of its type. */
function queryNamingEveryAttribute(): string {
  const literal: Record<number, string> = { 2: "'-'", 3: '0', 5: 'true', 6: "'2000-01-01T00:00:00Z'" };
  return LAKELOOP_SEARCH_ATTRIBUTES.map(
    (key) => `${key.name} = ${literal[INDEXED_VALUE_TYPE[key.type]!] ?? "'-'"}`,
  ).join(' OR ');
}

/**
 * The `default` namespace (a fresh database has only `temporal-system`) and Lakeloop's search
 * attributes, registered through the operator API. A new attribute is listed at once but usable only
 * when the services' namespace caches refresh (about 3 s in the recipe: until then a start with it
 * fails with "no mapping defined for search attribute"), so this waits until a visibility query
 * naming every one is accepted.
 */
async function prepareNamespace(connection: Connection): Promise<void> {
  await settle('registering the default namespace', async () => {
    try {
      await connection.workflowService.registerNamespace({
        namespace: CLUSTER_NAMESPACE,
        workflowExecutionRetentionPeriod: msToTs(RETENTION),
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  });
  const problems = await settle('listing search attributes', () =>
    missingSearchAttributes(connection, CLUSTER_NAMESPACE),
  );
  const wrong = problems.filter((p) => p.wrongType);
  if (wrong.length > 0) {
    throw new Error(
      `search attributes registered with another type: ${wrong.map((p) => `${p.name} (Lakeloop needs ${p.type})`).join(', ')}; start without --keep-data`,
    );
  }
  if (problems.length > 0) {
    const wanted = new Set(problems.map((p) => p.name));
    const searchAttributes = Object.fromEntries(
      LAKELOOP_SEARCH_ATTRIBUTES.filter((key) => wanted.has(key.name)).map((key) => [
        key.name,
        INDEXED_VALUE_TYPE[key.type]!,
      ]),
    );
    await settle('registering search attributes', async () => {
      try {
        await connection.operatorService.addSearchAttributes({
          namespace: CLUSTER_NAMESPACE,
          searchAttributes,
        });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    });
  }
  const query = queryNamingEveryAttribute();
  await settle('waiting for the search attributes to be usable', () =>
    connection.workflowService.countWorkflowExecutions({ namespace: CLUSTER_NAMESPACE, query }),
  );
}

async function waitForFrontend(address: string, server: ManagedProcess): Promise<Connection> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`temporal-server exited during start-up:\n${server.recentOutput().join('\n')}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`temporal-server did not answer on ${address}: ${String(err)}`);
      await sleep(250);
    }
  }
}

export async function startTemporalCluster(options: ClusterOptions): Promise<TemporalCluster> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (options.port > MAX_CLUSTER_PORT) {
    throw new Error(
      `--port ${options.port}: the cluster's ports must be below 32768 (Temporal stores them in a SMALLINT column)`,
    );
  }
  const build = await ensureTemporalServer({ log });
  // Where a start's seconds go, in one line (a slow start is then easy to place).
  const phases: string[] = [];
  let mark = Date.now();
  const phase = (name: string) => {
    phases.push(`${name} ${((Date.now() - mark) / 1000).toFixed(1)} s`);
    mark = Date.now();
  };
  const [pgPort, ...low] = await chooseLowPorts(10, options.port ? [options.port] : []);
  const ports: ClusterPorts = {
    postgres: pgPort!,
    frontendGrpc: options.port || low[8]!,
    frontendHttp: low[0]!,
    frontendMembership: low[1]!,
    historyGrpc: low[2]!,
    historyMembership: low[3]!,
    matchingGrpc: low[4]!,
    matchingMembership: low[5]!,
    workerGrpc: low[6]!,
    workerMembership: low[7]!,
  };
  const address = `127.0.0.1:${ports.frontendGrpc}`;
  const postgres = await startPostgres({
    stateDir: options.stateDir,
    port: ports.postgres,
    keepData: options.keepData,
    echo: options.verbose,
  });
  phase(postgres.created ? 'PostgreSQL (new data dir)' : 'PostgreSQL');
  let server: ManagedProcess | undefined;
  try {
    // Written once both databases have their schema: a kept data dir without it was cut off
    // halfway through the first start, and needs a fresh one.
    const schemaMarker = path.join(options.stateDir, 'postgres-schema-applied');
    if (!postgres.created && !existsSync(schemaMarker)) {
      throw new Error(
        `the kept PostgreSQL data in ${options.stateDir} never got Temporal's schema; start without --keep-data`,
      );
    }
    if (postgres.created) rmSync(schemaMarker, { force: true });
    await applySchema(build, postgres, postgres.created);
    writeFileSync(schemaMarker, `${build.version}\n`);
    phase('schema');
    const configFile = path.join(options.stateDir, 'temporal-cluster.yaml');
    writeClusterConfig(configFile);
    const env = {
      ...process.env,
      ...clusterEnv(ports, postgres.password, options.verbose ? 'info' : 'warn'),
    };
    const launch = () =>
      startProcess(
        'temporal-server',
        build.server,
        ['--config-file', configFile, '--allow-no-auth', 'start'],
        {
          echo: options.verbose ?? false,
          detached: true,
          env,
        },
      );
    const awaitReady = async (proc: ManagedProcess) => {
      const connection = await waitForFrontend(address, proc);
      phase('server answering');
      try {
        await prepareNamespace(connection);
        phase('namespace and search attributes');
      } finally {
        await connection.close();
      }
    };
    server = launch();
    await awaitReady(server);
    log(`Temporal cluster ready: ${phases.join(', ')}`);
    const stopServer = async ({ kill = false } = {}) => {
      if (!server) return;
      if (!kill) return server.stop(15_000);
      server.kill('SIGKILL');
      await server.exited;
    };
    let exitedResolve!: (why: string) => void;
    const exited = new Promise<string>((r) => (exitedResolve = r));
    let stopping = false;
    const watch = (proc: ManagedProcess, name: string) =>
      void proc.exited.then((code) => {
        if (!stopping && proc === (name === 'postgres' ? postgres.process : server))
          exitedResolve(`${name} exited (${code})`);
      });
    watch(server, 'temporal-server');
    watch(postgres.process, 'postgres');
    return {
      address,
      build,
      postgres,
      configFile,
      process: () => server!,
      exited,
      async restart(how) {
        stopping = true;
        await stopServer(how);
        server = launch();
        stopping = false;
        watch(server, 'temporal-server');
        await awaitReady(server);
      },
      async stop() {
        stopping = true;
        await stopServer();
        await postgres.stop();
      },
    };
  } catch (err) {
    await server?.stop(15_000);
    await postgres.stop();
    throw err;
  }
}

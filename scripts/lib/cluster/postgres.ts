/**
 * A PostgreSQL server for the cluster stack, with its data in the stack's state dir: Debian's
 * `postgresql-15` binaries (/usr/lib/postgresql/15/bin, or LAKELOOP_PG_BIN), `initdb` on first use,
 * then `postgres` in the foreground as a child of the stack, so stopping the stack stops it and its
 * backends (they are its children, in its process group).
 *
 * PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server is not permitted), so
 * as root both run as the unprivileged `postgres` user the Debian package creates; the data dir is
 * theirs (recipe: /work/shared/reference/temporal-cluster.md, PostgreSQL 15.18, run as root).
 * Only TCP on 127.0.0.1 (no Unix socket: a socket dir would need its own permissions), and
 * scram-sha-256 password auth for everything; the one role is `temporal`, the superuser initdb creates,
 * so temporal-sql-tool can create its two databases. Its password is random per data dir and kept
 * (0600) beside it, so --keep-data finds the same one.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sleep, startProcess, type ManagedProcess } from '../processes.js';

export const PG_USER = 'temporal';

export interface PostgresOptions {
  /** The stack's state dir: PostgreSQL's files go in <stateDir>/postgres. */
  stateDir: string;
  port: number;
  /** Keep an existing data dir (the stack's --keep-data); otherwise start empty. */
  keepData: boolean;
  echo?: boolean;
}

export interface Postgres {
  port: number;
  password: string;
  dataDir: string;
  /** True when this start made a new data dir (no --keep-data, or nothing to keep). */
  created: boolean;
  process: ManagedProcess;
  /** Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit), then SIGKILL after 20 s. */
  stop(): Promise<void>;
}

function pgBin(): string {
  const dir = process.env.LAKELOOP_PG_BIN ?? '/usr/lib/postgresql/15/bin';
  if (!existsSync(path.join(dir, 'postgres')) || !existsSync(path.join(dir, 'initdb'))) {
    throw new Error(
      `no PostgreSQL server in ${dir}: install Debian's postgresql-15 (apt-get install postgresql-15) ` +
        'or point LAKELOOP_PG_BIN at a PostgreSQL bin directory (initdb, postgres)',
    );
  }
  return dir;
}

/** As root: the `postgres` account's uid/gid (PostgreSQL will not run as root); otherwise ourselves. */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      'running as root, but there is no `postgres` user to run PostgreSQL as (PostgreSQL refuses root)',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** initdb (as the server's account), with a superuser `temporal` whose password is `password`. */
function initDataDir(
  bin: string,
  root: string,
  dataDir: string,
  password: string,
  account?: { uid: number; gid: number },
) {
  const pwfile = path.join(root, '.pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (account) chownSync(pwfile, account.uid, account.gid);
  try {
    const result = spawnSync(
      path.join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        PG_USER,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-instructions',
      ],
      { encoding: 'utf8', ...account, cwd: root },
    );
    if (result.status !== 0) {
      throw new Error(
        `initdb failed (exit ${result.status}): ${(result.stderr || result.stdout || String(result.error)).trim()}`,
      );
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
}

export async function startPostgres(options: PostgresOptions): Promise<Postgres> {
  const bin = pgBin();
  const account = serverAccount();
  const root = path.join(options.stateDir, 'postgres');
  const dataDir = path.join(root, 'data');
  const passwordFile = path.join(options.stateDir, 'postgres-password');
  const initialized = existsSync(path.join(dataDir, 'PG_VERSION')) && existsSync(passwordFile);
  const created = !options.keepData || !initialized;
  if (created) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true, mode: 0o700 });
    if (account) {
      chownSync(root, account.uid, account.gid);
      // The account must reach <stateDir>/postgres through every parent (a mkdtemp dir is 0700).
      const reach = spawnSync('test', ['-w', root], account);
      if (reach.status !== 0) {
        throw new Error(
          `the postgres user cannot reach ${root}: give it search (x) permission on ${options.stateDir} ` +
            'and its parents, or choose another --state-dir',
        );
      }
    }
    const password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    initDataDir(bin, root, dataDir, password, account);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();

  const server = startProcess(
    'postgres',
    path.join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    { echo: options.echo ?? false, detached: true, cwd: root, ...account },
  );
  const deadline = Date.now() + 60_000;
  // Logged once recovery (after an unclean stop) or start-up is done and connections are accepted.
  while (!server.recentOutput().some((l) => l.includes('database system is ready to accept connections'))) {
    if (server.child.exitCode !== null || server.child.signalCode !== null || Date.now() > deadline) {
      await server.stop();
      throw new Error(`PostgreSQL did not start:\n${server.recentOutput().join('\n')}`);
    }
    await sleep(100);
  }
  return {
    port: options.port,
    password,
    dataDir,
    created,
    process: server,
    async stop() {
      if (server.child.exitCode !== null || server.child.signalCode !== null) return;
      server.kill('SIGINT');
      const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
      await server.exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The real Temporal server (`temporal-server`) and its schema tool (`temporal-sql-tool`), built from
 * the Go module proxy on first use and cached under the user's cache directory, so only the first
 * `npm run stack -- --cluster` builds (a few minutes, ~2.5 GB RAM at peak) and later starts reuse it.
 *
 * Recipe (/work/shared/reference/temporal-cluster.md, verified on Go 1.26.8 with GOTOOLCHAIN=local):
 * `go get` the two cmd packages in a throwaway module (a `go get` of the module alone leaves
 * `missing go.sum entry` for their imports), then `go build -ldflags="-s -w"` both. v1.32.1 is the
 * newest release that builds there: v1.32.2 and v1.31.5 require go >= 1.26.10, and v1.31.3/4 need a
 * module version the proxy refuses (403). The schema files ship inside the module
 * (schema/postgresql/v12); they are copied next to the binaries so a cleaned module cache does not
 * break later starts.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_SERVER_VERSION = 'v1.32.1';
const SERVER_PACKAGE = 'go.temporal.io/server/cmd/server';
const SQL_TOOL_PACKAGE = 'go.temporal.io/server/cmd/tools/sql';

export interface TemporalServerBuild {
  version: string;
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the module: `temporal/versioned` and `visibility/versioned`. */
  schemaDir: string;
  /** True when this call built it (the first start); false when the cache had it. */
  built: boolean;
  buildSeconds?: number;
}

/** The build failed because the module proxy refused a module (not a fault of the build itself). */
export class ModuleProxyRefusedError extends Error {}

/** ${XDG_CACHE_HOME:-~/.cache}/lakeloop (LAKELOOP_CACHE_DIR overrides it): where slow builds are kept. */
export function lakeloopCacheDir(): string {
  return (
    process.env.LAKELOOP_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'lakeloop')
  );
}

/** ${XDG_CACHE_HOME:-~/.cache}/lakeloop/temporal-server-<version> (LAKELOOP_CACHE_DIR overrides the lakeloop part). */
export function serverCacheDir(version = TEMPORAL_SERVER_VERSION): string {
  return path.join(lakeloopCacheDir(), `temporal-server-${version}`);
}

function cached(dir: string, version: string): TemporalServerBuild | undefined {
  // The marker is written last: a build interrupted halfway never looks complete.
  if (!existsSync(path.join(dir, 'complete'))) return undefined;
  return {
    version,
    server: path.join(dir, 'bin', 'temporal-server'),
    sqlTool: path.join(dir, 'bin', 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
    built: false,
  };
}

/** Runs a go command; rejects with its last output lines (ModuleProxyRefusedError when the proxy refused). */
export function go(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err) =>
      reject(
        new Error(
          `cannot run go (${err.message}); the cluster stack needs a Go toolchain to build the Temporal server and UI once`,
        ),
      ),
    );
    child.once('exit', (code) => {
      if (code === 0) return resolve(out.trim());
      const tail = out.trim().split('\n').slice(-6).join('\n');
      log(`go ${args[0]} failed:\n${tail}`);
      // The proxy's refusal reads "… 403 Forbidden" / "server response: … not available" / "410 Gone".
      const refused = /\b(403 Forbidden|404 Not Found|410 Gone)\b|not available/.test(out);
      const message = `go ${args.join(' ')} failed (exit ${code}):\n${tail}`;
      reject(refused ? new ModuleProxyRefusedError(message) : new Error(message));
    });
  });
}

/**
 * The cached build of `version`, building it first when the cache lacks it. Builds into a temporary
 * directory beside the cache entry and renames it into place, so two stacks starting at once cannot
 * leave a half-written cache (the second rename loses, harmlessly).
 */
export async function ensureTemporalServer(
  options: { version?: string; log?: (line: string) => void } = {},
): Promise<TemporalServerBuild> {
  const version = options.version ?? TEMPORAL_SERVER_VERSION;
  const log = options.log ?? ((line: string) => console.error(line));
  const dir = serverCacheDir(version);
  const hit = cached(dir, version);
  if (hit) return hit;

  const started = Date.now();
  log(
    `building the Temporal server ${version} from the Go module proxy into ${dir} (first start only; ~4–5 min)…`,
  );
  mkdirSync(path.dirname(dir), { recursive: true });
  const work = mkdtempSync(path.join(path.dirname(dir), `.build-${version}-`));
  try {
    const env = {
      ...process.env,
      // The module's `go` line decides; never fetch another toolchain at run time.
      GOTOOLCHAIN: 'local',
      GOFLAGS: [process.env.GOFLAGS, '-mod=mod'].filter(Boolean).join(' '),
    };
    const module = path.join(work, 'module');
    mkdirSync(module);
    await go(['mod', 'init', 'lakeloop.local/temporal-server-build'], module, env, log);
    await go(['get', `${SERVER_PACKAGE}@${version}`, `${SQL_TOOL_PACKAGE}@${version}`], module, env, log);
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    await go(
      ['build', '-ldflags=-s -w', '-o', `${bin}/`, SERVER_PACKAGE, SQL_TOOL_PACKAGE],
      module,
      env,
      log,
    );
    renameSync(path.join(bin, 'server'), path.join(bin, 'temporal-server'));
    renameSync(path.join(bin, 'sql'), path.join(bin, 'temporal-sql-tool'));

    const modCache = await go(['env', 'GOMODCACHE'], module, env, log);
    const schemaSource = path.join(
      modCache,
      `go.temporal.io/server@${version}`,
      'schema',
      'postgresql',
      'v12',
    );
    const schemaTarget = path.join(work, 'schema', 'postgresql', 'v12');
    cpSync(schemaSource, schemaTarget, { recursive: true });
    // The module cache is read-only; the copy must be removable with the cache entry.
    chmodTree(path.join(work, 'schema'));
    rmSync(module, { recursive: true, force: true });
    writeFileSync(path.join(work, 'complete'), `${version}\n`);
    try {
      renameSync(work, dir);
    } catch (err) {
      if (!cached(dir, version)) throw err;
    }
  } finally {
    // A failed build leaves nothing; the module cache (GOMODCACHE) keeps the downloads for a retry.
    rmSync(work, { recursive: true, force: true });
  }
  const result = cached(dir, version);
  if (!result) throw new Error(`the Temporal server build finished but ${dir} is incomplete`);
  const buildSeconds = Math.round((Date.now() - started) / 1000);
  log(`built the Temporal server ${version} in ${buildSeconds} s`);
  return { ...result, built: true, buildSeconds };
}

function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(full);
    else chmodSync(full, 0o644);
  }
}

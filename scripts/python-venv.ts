/**
 * The project's Python virtual environment (.venv/ in the project root) with the packages of
 * test/conformance/requirements.txt (the Databricks SDK) and test/mlflow/requirements.txt (an MLflow
 * tracking server for the MLflow client tests) and test/lineage/requirements.txt (the OpenLineage
 * client, whose generated spec model validates emitted lineage events). One venv for all, so the test suites never
 * reinstall each other's packages. Idempotent: a marker in the venv records the SHA-256 of the
 * requirements it was built from (all files, in order), so a second call costs a few file reads and
 * prints that nothing changed; a changed file installs again (pip only adds what is missing). A lock
 * directory keeps two test workers from installing at the same time.
 *
 *   tsx scripts/python-venv.ts        (prints one line)
 *   import { ensurePythonVenv } from '../../scripts/python-venv.js'
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface PythonVenv {
  /** The venv's interpreter. */
  python: string;
  /** True when this call created the venv or installed packages. */
  changed: boolean;
  /** The one line this call printed (or would print with quiet). */
  summary: string;
}

export interface EnsureVenvOptions {
  root?: string;
  /** Requirements file(s), relative to nothing: absolute or cwd-relative paths. */
  requirements?: string | string[];
  /** The interpreter that creates the venv. */
  basePython?: string;
  quiet?: boolean;
}

const MARKER = '.lakeloop-requirements.sha256';
const LOCK_STALE_MS = 15 * 60 * 1000;
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

export async function ensurePythonVenv(options: EnsureVenvOptions = {}): Promise<PythonVenv> {
  const root = options.root ?? projectRoot;
  const requirements =
    options.requirements === undefined
      ? defaultRequirements(root)
      : ([] as string[]).concat(options.requirements);
  const venv = path.join(root, '.venv');
  const python = path.join(venv, 'bin', 'python');
  const hash = createHash('sha256');
  for (const file of requirements) hash.update(readFileSync(file)).update('\0');
  const wanted = hash.digest('hex');

  const release = await acquireLock(`${venv}.lock`);
  try {
    if (existsSync(python) && (await readMarker(venv)) === wanted && (await runs(python))) {
      return done(options, {
        python,
        changed: false,
        summary: `python venv: ${rel(root, venv)} is up to date`,
      });
    }
    const started = Date.now();
    if (!(await runs(python))) {
      await rm(venv, { recursive: true, force: true });
      await run(options.basePython ?? 'python3', ['-m', 'venv', venv], { timeout: INSTALL_TIMEOUT_MS });
    }
    await run(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        ...requirements.flatMap((file) => ['-r', file]),
      ],
      { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
    );
    await writeFile(path.join(venv, MARKER), wanted);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    return done(options, {
      python,
      changed: true,
      summary: `python venv: installed ${requirements.map((file) => rel(root, file)).join(' + ')} into ${rel(root, venv)} in ${seconds}s`,
    });
  } finally {
    await release();
  }
}

/** Every requirements file the project's tests need, installed together into the one venv. */
export function defaultRequirements(root: string = projectRoot): string[] {
  return [
    path.join(root, 'test', 'conformance', 'requirements.txt'),
    path.join(root, 'test', 'mlflow', 'requirements.txt'),
    path.join(root, 'test', 'lineage', 'requirements.txt'),
  ];
}

function done(options: EnsureVenvOptions, result: PythonVenv): PythonVenv {
  if (!options.quiet) console.log(result.summary);
  return result;
}

function rel(root: string, target: string): string {
  return path.relative(root, target) || '.';
}

async function readMarker(venv: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(venv, MARKER), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function runs(python: string): Promise<boolean> {
  if (!existsSync(python)) return false;
  try {
    await run(python, ['-c', 'import sys'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** mkdir is atomic: whoever creates the directory holds the lock. A lock older than 15 min is stale. */
async function acquireLock(lock: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      await mkdir(lock);
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensurePythonVenv().catch((error: unknown) => {
    console.error(`python venv: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

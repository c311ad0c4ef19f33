/**
 * The Temporal Web UI for `npm run stack -- --cluster`. The CLI serves its UI only beside its own dev
 * server, so the cluster gets the UI's own server: `github.com/temporalio/ui-server/v2/cmd/server`,
 * built once from the Go module proxy and cached beside the server build. The module carries the built
 * UI (ui/assets, embedded by ui/embed.go), so the binary is the whole UI; it reads its settings from
 * `<root>/config/<env>.yaml` (cmd/server/main.go: --root, --config, --env).
 *
 * v2.49.1 is the UI release docker-compose.yml runs (temporalio/ui:2.49.1) and builds with this
 * machine's Go 1.26.8 and GOTOOLCHAIN=local in about 3 minutes; v2.58.1's `go` line asks for 1.26.10.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sleep, startProcess, type ManagedProcess } from '../processes.js';
import { go, lakeloopCacheDir } from './build-server.js';

export const TEMPORAL_UI_VERSION = 'v2.49.1';
const UI_PACKAGE = 'github.com/temporalio/ui-server/v2/cmd/server';

export interface TemporalUiBuild {
  version: string;
  binary: string;
  /** True when this call built it; false when the cache had it. */
  built: boolean;
  buildSeconds?: number;
}

export function uiCacheDir(version = TEMPORAL_UI_VERSION): string {
  return path.join(lakeloopCacheDir(), `temporal-ui-${version}`);
}

function cached(dir: string, version: string): TemporalUiBuild | undefined {
  // Written last: an interrupted build never looks complete.
  if (!existsSync(path.join(dir, 'complete'))) return undefined;
  return { version, binary: path.join(dir, 'bin', 'temporal-ui-server'), built: false };
}

/** The cached UI server, building it first when the cache lacks it (into a temporary dir, renamed into place). */
export async function ensureTemporalUi(
  options: { version?: string; log?: (line: string) => void } = {},
): Promise<TemporalUiBuild> {
  const version = options.version ?? TEMPORAL_UI_VERSION;
  const log = options.log ?? ((line: string) => console.error(line));
  const dir = uiCacheDir(version);
  const hit = cached(dir, version);
  if (hit) return hit;
  const started = Date.now();
  log(
    `building the Temporal Web UI ${version} from the Go module proxy into ${dir} (first start only; ~3 min)…`,
  );
  mkdirSync(path.dirname(dir), { recursive: true });
  const work = mkdtempSync(path.join(path.dirname(dir), `.build-ui-${version}-`));
  try {
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    // `go install pkg@version` builds the module as published (with its own go.sum), outside any module.
    await go(
      ['install', '-ldflags=-s -w', `${UI_PACKAGE}@${version}`],
      work,
      {
        ...process.env,
        GOTOOLCHAIN: 'local',
        GOBIN: bin,
      },
      log,
    );
    renameSync(path.join(bin, 'server'), path.join(bin, 'temporal-ui-server'));
    writeFileSync(path.join(work, 'complete'), `${version}\n`);
    try {
      renameSync(work, dir);
    } catch (err) {
      if (!cached(dir, version)) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const result = cached(dir, version);
  if (!result) throw new Error(`the Temporal Web UI build finished but ${dir} is incomplete`);
  const buildSeconds = Math.round((Date.now() - started) / 1000);
  log(`built the Temporal Web UI ${version} in ${buildSeconds} s`);
  return { ...result, built: true, buildSeconds };
}

export interface TemporalUi {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts the UI server against `temporalAddress` on 127.0.0.1:`port`, resolved once it answers.
 * Settings are the ones the UI's config/base.yaml and development.yaml name (temporalGrpcAddress,
 * host, port, enableUi, defaultNamespace), written under `stateDir`; it holds no secret.
 */
export async function startTemporalUi(options: {
  binary: string;
  stateDir: string;
  temporalAddress: string;
  port: number;
  namespace: string;
  echo?: boolean;
}): Promise<TemporalUi> {
  const root = path.join(options.stateDir, 'temporal-ui');
  mkdirSync(path.join(root, 'config'), { recursive: true });
  writeFileSync(
    path.join(root, 'config', 'lakeloop.yaml'),
    [
      `temporalGrpcAddress: ${options.temporalAddress}`,
      'host: 127.0.0.1',
      `port: ${options.port}`,
      'enableUi: true',
      `defaultNamespace: ${options.namespace}`,
      // Same-origin only: the UI is served from the port it answers on.
      'cors:',
      '  allowOrigins: []',
      '',
    ].join('\n'),
  );
  const ui = startProcess(
    'temporal-ui',
    options.binary,
    ['--root', root, '--config', 'config', '--env', 'lakeloop', 'start'],
    { echo: options.echo ?? false, detached: true },
  );
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (ui.child.exitCode !== null || ui.child.signalCode !== null) {
      throw new Error(`the Temporal Web UI exited during start-up:\n${ui.recentOutput().join('\n')}`);
    }
    const answered = await fetch(`${url}/api/v1/settings`).then(
      (res) => res.ok,
      () => false,
    );
    if (answered) return { url, process: ui, stop: () => ui.stop() };
    if (Date.now() > deadline) {
      await ui.stop();
      throw new Error(`the Temporal Web UI did not answer on ${url}:\n${ui.recentOutput().join('\n')}`);
    }
    await sleep(200);
  }
}

/**
 * The same client and activity checks against a real open-source MLflow tracking server
 * (`mlflow server`, pinned in test/mlflow/requirements.txt and installed into the project venv on
 * demand), started here with a SQLite backend and `--serve-artifacts`. train.py and score.py run as
 * plain processes with DATABRICKS_HOST pointing at it (the server ignores the bearer token).
 */
import { afterAll, beforeAll, describe } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensurePythonVenv } from '../../scripts/python-venv.js';
import { createWorkspaceClient } from '../../src/databricks/workspace-client.js';
import { defineMlflowSuite, JOBS, type MlflowTarget } from './shared-suite.js';

const STARTUP_TIMEOUT_MS = 120_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, server: ChildProcess, logFile: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null)
      throw new Error(`mlflow server exited with ${server.exitCode}:\n${logFile()}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`mlflow server did not answer /health within ${STARTUP_TIMEOUT_MS} ms:\n${logFile()}`);
}

let scratch: string;
let server: ChildProcess | undefined;
let target: MlflowTarget;
let serverLog = '';

beforeAll(async () => {
  const { python } = await ensurePythonVenv({ quiet: true });
  scratch = mkdtempSync(path.join(tmpdir(), 'lakeloop-mlflow-oss-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  server = spawn(
    path.join(path.dirname(python), 'mlflow'),
    [
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      '1',
      '--backend-store-uri',
      `sqlite:///${path.join(scratch, 'mlflow.db')}`,
      '--serve-artifacts',
      '--artifacts-destination',
      path.join(scratch, 'artifacts'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
  );
  const keep = (chunk: Buffer) => {
    serverLog = (serverLog + chunk.toString('utf8')).slice(-20_000);
  };
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  await waitForHealth(url, server, () => serverLog);

  target = {
    registry: 'mlflow',
    registryUri: url,
    http: createWorkspaceClient(
      { authType: 'pat', host: url, token: 'ignored-by-oss-mlflow' },
      { requestsPerSecond: 500, burst: 500, timeoutMs: 30_000 },
    ),
    runJob(script, args) {
      return new Promise((resolve, reject) => {
        const output = path.join(scratch, `${script}-${Date.now()}.out`);
        execFile(
          'python3',
          [path.join(JOBS, script), ...args],
          {
            timeout: 90_000,
            env: {
              PATH: process.env.PATH ?? '',
              DATABRICKS_HOST: url,
              DATABRICKS_TOKEN: 'ignored-by-oss-mlflow',
              LAKELOOP_TASK_OUTPUT: output,
            },
          },
          (error, _stdout, stderr) => {
            if (error) return reject(new Error(`${script} failed: ${error.message}\n${stderr}`));
            const lines = readFileSync(output, 'utf8').trim().split('\n');
            resolve(JSON.parse(lines[lines.length - 1]!));
          },
        );
      });
    },
    async fetchBytes(pathname) {
      const response = await fetch(`${url}${pathname}`);
      if (!response.ok) throw new Error(`GET ${pathname}: ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}, 12 * 60_000);

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    try {
      // The server leads its own process group (uvicorn workers included).
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (server.exitCode === null) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  // Our ends of its pipes, so nothing keeps Jest's event loop alive.
  server?.stdout?.destroy();
  server?.stderr?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 30_000);

describe('MLflow client and activities against open-source mlflow server (pinned in test/mlflow/requirements.txt)', () => {
  defineMlflowSuite(() => target);
});

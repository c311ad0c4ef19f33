/**
 * The chaos test's own local stack (not the suite's shared dev server: this one gets restarted):
 *
 *   - `temporal server start-dev` on free ports with a SQLite file in a temporary folder and Lakeloop's
 *     search attributes (scripts/lib/stack.ts), restartable on the same file;
 *   - the Databricks emulator as a child process (`emulator/main.ts`) with a service principal, tokens
 *     that expire after a few seconds, a fast clock and a seed for fault probabilities;
 *   - the webhook receiver in this process, on its own Temporal connection, registered as the
 *     emulator's notification destination, with its catch-up (src/webhooks/catch-up.ts): a dev-server
 *     restart is an outage of the receiver too (it cannot forward what arrives meanwhile);
 *   - the worker as a child process (`src/worker.ts`, OAuth M2M) that can be SIGKILLed and restarted.
 *
 * The worker's and the emulator's output go to log files in the temporary folder, which a failed run
 * keeps (with the SQLite database) and names.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { startEmulatorProcess, startWorkerProcess } from '../../scripts/lib/local-stack.js';
import type { ManagedProcess } from '../../scripts/lib/processes.js';
import { startStack, type RunningStack, type StackService } from '../../scripts/lib/stack.js';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';
import { createDestination } from '../../scripts/lib/workspace-service.js';
import { startCatchingUp, type CatchingUp } from '../../src/webhooks/catch-up.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/webhooks/receiver.js';
import { openTestOutput, recordTestSecret } from './secrets-ledger.js';

const SERVICE_PRINCIPAL = 'lakeloop-chaos-sp';
const WEBHOOK_USER = 'databricks';

export interface ChaosStackOptions {
  taskQueue: string;
  seed: number;
  timeScale: number;
  tokenTtlSeconds: number;
}

export interface EmulatorControl {
  url: string;
  /** A control API call (/__emulator/…); throws unless it answers 200. */
  control<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  /** A workspace API call as the service principal, with a fresh token (the test's own reads). */
  api<T = unknown>(method: string, route: string): Promise<T>;
}

/** One workflow lookup of the receiver (a visibility query by DatabricksRunId). */
export interface ReceiverLookup {
  runId: string;
  atMs: number;
  found: boolean;
}

export interface ChaosStack {
  dir: string;
  temporalAddress: string;
  /** A client for the test itself, on its own connection. */
  client: Client;
  emulator: EmulatorControl;
  receiver: WebhookReceiver;
  /** The receiver's catch-ups so far (after each dev-server restart it could not forward through). */
  catchUps: CatchingUp['reports'];
  /** Every lookup the receiver made, to tell which notifications it could not route, and when. */
  receiverLookups: ReceiverLookup[];
  /** The running worker process, if any. */
  worker(): ManagedProcess | undefined;
  startWorker(): Promise<ManagedProcess>;
  /** SIGKILL: no graceful shutdown, in-flight activities and workflow tasks are simply lost. */
  killWorker(): Promise<void>;
  restartTemporal(options: { kill: boolean }): Promise<void>;
  /** Where each process's output went. */
  logFiles: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Appends a process's output (what it printed so far, then everything new) to a log file, and to the
 * suite's secrets sweep under `npm test`.
 */
function pipeOutput(managed: ManagedProcess, log: WriteStream, label: string): void {
  const prefix = `[${label} pid ${managed.child.pid}] `;
  const sweep = openTestOutput(`chaos ${label}`);
  const write = (text: string) => {
    log.write(text);
    sweep(text);
  };
  for (const line of managed.recentOutput()) write(`${prefix}${line}\n`);
  for (const stream of [managed.child.stdout, managed.child.stderr]) {
    stream?.on('data', (chunk: Buffer) =>
      write(prefix + chunk.toString().replace(/\n(?=.)/g, `\n${prefix}`)),
    );
  }
  void managed.exited.then((code) => log.write(`${prefix}exited: ${code}\n`));
}

/** The pre-built workflow bundle of the suite's global setup, or one built here with the production script. */
function workflowBundle(dir: string): string {
  const fromSetup = process.env.LAKELOOP_TEST_WORKFLOW_BUNDLE;
  if (fromSetup) return fromSetup;
  const out = path.join(dir, 'workflow-bundle.js');
  const built = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'scripts/build-workflow-bundle.ts'), out],
    { cwd: projectRoot, encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`building the workflow bundle failed:\n${built.stderr}`);
  return out;
}

export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-chaos-'));
  const logFiles = {
    emulator: path.join(dir, 'emulator.log'),
    worker: path.join(dir, 'worker.log'),
  };
  const emulatorLog = createWriteStream(logFiles.emulator);
  const workerLog = createWriteStream(logFiles.worker);
  const bundlePath = workflowBundle(dir);

  const clientSecret = `dose${randomBytes(16).toString('hex')}`;
  const webhookPassword = randomBytes(18).toString('base64url');
  recordTestSecret('the chaos service principal secret', clientSecret);
  recordTestSecret('the chaos webhook password', webhookPassword);
  // In a file, so the secret is not on the emulator's command line (visible in ps).
  const principalsFile = path.join(dir, 'service-principals');
  writeFileSync(principalsFile, `${SERVICE_PRINCIPAL}:${clientSecret}:Lakeloop chaos worker\n`, {
    mode: 0o600,
  });

  let receiver: WebhookReceiver | undefined;
  let catchingUp: CatchingUp | undefined;
  let receiverConnection: Connection | undefined;
  const receiverLookups: ReceiverLookup[] = [];
  let emulatorUrl = '';
  let destinationId = '';

  const receiverService: StackService = {
    name: 'webhook receiver',
    async start(settings) {
      // Its own connection, as in production (`npm run webhooks`): it must ride out the server restarts.
      receiverConnection = await Connection.connect({ address: settings.env.TEMPORAL_ADDRESS! });
      const client = new Client({
        connection: receiverConnection,
        namespace: settings.env.TEMPORAL_NAMESPACE,
      });
      // The real client, with each lookup's run id and result recorded as it happens.
      const recording = {
        workflow: {
          getHandle: client.workflow.getHandle.bind(client.workflow),
          list: (options: Parameters<typeof client.workflow.list>[0]) =>
            (async function* () {
              const runId = /DatabricksRunId = '(\d+)'/.exec(options?.query ?? '')?.[1] ?? '';
              let found = false;
              try {
                for await (const execution of client.workflow.list(options)) {
                  found = true;
                  yield execution;
                }
              } finally {
                receiverLookups.push({ runId, atMs: Date.now(), found });
              }
            })(),
        },
      } as unknown as Client;
      receiver = await startWebhookReceiver({
        client: recording,
        host: '127.0.0.1',
        port: 0,
        username: WEBHOOK_USER,
        password: webhookPassword,
        onDelivery: (outcome) => {
          if (outcome === 'error') catchingUp?.deliveryFailed();
        },
      });
      catchingUp = startCatchingUp({
        client,
        taskQueue: options.taskQueue,
        ratePerSecond: 20,
        heartbeatMs: 2_000,
      });
      return {
        stop: async () => {
          await receiver?.close();
          await catchingUp?.stop();
          await receiverConnection?.close();
        },
      };
    },
  };

  const emulatorService: StackService = {
    name: 'databricks emulator',
    async start() {
      const emulator = await startEmulatorProcess([
        '--service-principal-file',
        principalsFile,
        '--token-ttl',
        String(options.tokenTtlSeconds),
        '--time-scale',
        String(options.timeScale),
        '--seed',
        String(options.seed),
      ]);
      pipeOutput(emulator.process, emulatorLog, 'emulator');
      emulatorUrl = emulator.url;
      destinationId = await createDestination(emulatorUrl, SERVICE_PRINCIPAL, clientSecret, {
        url: receiver!.url,
        password: webhookPassword,
      });
      return { stop: () => emulator.stop() };
    },
  };

  let stack: RunningStack;
  try {
    stack = await startStack({
      port: 0,
      uiPort: 0,
      keepData: false,
      stateDir: dir,
      services: [receiverService, emulatorService],
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const temporalAddress = stack.settings.env.TEMPORAL_ADDRESS!;
  const clientConnection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: 'default' });

  const workerEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    LAKELOOP_STACK_ENV: 'off',
    LAKELOOP_TASK_QUEUE: options.taskQueue,
    LAKELOOP_LOG_LEVEL: 'WARN',
    LAKELOOP_LOG_FORMAT: 'json',
    LAKELOOP_WORKFLOW_BUNDLE: bundlePath,
    LAKELOOP_SHUTDOWN_GRACE_SECONDS: '1',
    // Several hundred runs polled at once: the default budget (20/s) would make the test slow, not harder.
    LAKELOOP_DATABRICKS_RPS: '100',
    LAKELOOP_DATABRICKS_BURST: '100',
    LAKELOOP_HTTP_TIMEOUT_SECONDS: '10',
    DATABRICKS_HOST: emulatorUrl,
    DATABRICKS_AUTH_TYPE: 'oauth-m2m',
    DATABRICKS_CLIENT_ID: SERVICE_PRINCIPAL,
    DATABRICKS_CLIENT_SECRET: clientSecret,
    LAKELOOP_WEBHOOK_DESTINATION_ID: destinationId,
  };
  let worker: ManagedProcess | undefined;

  const control = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${emulatorUrl}/__emulator${route}`, {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${method} /__emulator${route}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const api = async <T>(method: string, route: string): Promise<T> => {
    const token = await fetch(`${emulatorUrl}/oidc/v1/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${SERVICE_PRINCIPAL}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=all-apis',
    });
    if (!token.ok) throw new Error(`the token endpoint answered ${token.status}`);
    const { access_token } = (await token.json()) as { access_token: string };
    const response = await fetch(`${emulatorUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${access_token}` },
    });
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  return {
    dir,
    temporalAddress,
    client,
    emulator: { url: emulatorUrl, control, api },
    receiver: receiver!,
    catchUps: () => catchingUp?.reports() ?? [],
    receiverLookups,
    logFiles,
    worker: () => worker,
    async startWorker() {
      if (worker && worker.child.exitCode === null && worker.child.signalCode === null)
        throw new Error('a worker is already running');
      worker = await startWorkerProcess(workerEnv, { echo: false, readyTimeoutMs: 90_000 });
      pipeOutput(worker, workerLog, 'worker');
      return worker;
    },
    async killWorker() {
      const current = worker;
      worker = undefined;
      if (!current || current.child.exitCode !== null || current.child.signalCode !== null) return;
      current.child.kill('SIGKILL');
      await current.exited;
    },
    restartTemporal: ({ kill }) => stack.restartTemporal({ kill }),
    async close() {
      await worker?.stop(5_000);
      await clientConnection.close();
      await stack.stop();
      await new Promise((resolve) => emulatorLog.end(resolve));
      await new Promise((resolve) => workerLog.end(resolve));
    },
  };
}

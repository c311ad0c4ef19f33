/**
 * The webhook receiver: `POST /databricks/notifications`. Databricks (or the emulator) calls it when a
 * run starts, succeeds or fails; it finds the workflow waiting on that run and signals it.
 *
 *   Basic auth (constant time) → body limit → JSON + schema → find the workflow: in the worker's own
 *   run directory when the receiver runs inside it, else by the DatabricksRunId search attribute
 *   (retrying briefly: the attribute may not be visible yet) → signal.
 *
 * Duplicates and out-of-order deliveries are harmless: the workflow confirms with runs/get. Unknown runs
 * are acknowledged (202) so Databricks does not retry them forever.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import pLimit from 'p-limit';
import { parseExactJson } from '../databricks/json.js';
import { readBody, RequestTooLarge } from '../http/request-body.js';
import { notificationSignal } from '../workflows/databricks-run.js';
import { basicAuthMatches } from './basic-auth.js';
import { jobRunIdOf, notificationSchema } from './notification.js';
import type { RunDirectory, WorkflowRef } from './run-directory.js';

export const NOTIFICATIONS_PATH = '/databricks/notifications';

export interface WebhookReceiverOptions {
  client: Client;
  host: string;
  port: number;
  username: string;
  password: string;
  bodyLimitBytes?: number;
  /** How long to keep looking for the workflow of a run before answering 202 unknown. */
  lookupTimeoutMs?: number;
  /** Workflow lookups (visibility queries) in flight at once; further deliveries wait for a slot. */
  maxConcurrentLookups?: number;
  /** The worker's own submissions (when the receiver runs inside it): asked before visibility. */
  runDirectory?: RunDirectory;
  /** Each delivery's outcome; a signalled one says how its workflow was found. */
  onDelivery?(outcome: DeliveryOutcome, via?: 'directory' | 'visibility'): void;
}

export type DeliveryOutcome =
  'signalled' | 'ignored' | 'unknown-run' | 'unauthorized' | 'too-large' | 'malformed' | 'error';

/**
 * Only the end of a run wakes a workflow. A start notification would cost a workflow task and
 * history events per run for a cosmetic state change, and its timing would make history length vary.
 */
const WAKING_EVENTS = new Set(['jobs.on_success', 'jobs.on_failure']);

export interface WebhookReceiver {
  url: string;
  stats(): Record<DeliveryOutcome, number>;
  /** How signalled deliveries found their workflow: the run directory or a visibility query. */
  lookups(): { directory: number; visibility: number };
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const limit = options.bodyLimitBytes ?? 64 * 1024;
  const lookupTimeoutMs = options.lookupTimeoutMs ?? 5_000;
  // At most this many lookups at once; the others wait in FIFO order.
  const lookupSlot = pLimit(options.maxConcurrentLookups ?? 32);
  const counters: Record<DeliveryOutcome, number> = {
    signalled: 0,
    ignored: 0,
    'unknown-run': 0,
    unauthorized: 0,
    'too-large': 0,
    malformed: 0,
    error: 0,
  };
  const lookups = { directory: 0, visibility: 0 };
  const count = (outcome: DeliveryOutcome, via?: 'directory' | 'visibility') => {
    counters[outcome]++;
    options.onDelivery?.(outcome, via);
  };

  type Target = WorkflowRef & { via: 'directory' | 'visibility' };

  /**
   * The workflow waiting on a run: the worker's run directory (when there is one) or the search
   * attribute, retried briefly — a notification can beat both the submission's answer and visibility.
   */
  async function findWorkflow(runId: string): Promise<Target | undefined> {
    const deadline = Date.now() + lookupTimeoutMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
      const known = options.runDirectory?.lookup(runId);
      if (known) return { ...known, via: 'directory' };
      // A Keyword attribute holding the exact decimal id (runId is digits only: schema-checked).
      const query = `DatabricksRunId = '${runId}' AND ExecutionStatus = 'Running'`;
      for await (const execution of options.client.workflow.list({ query, pageSize: 2 })) {
        return { workflowId: execution.workflowId, runId: execution.runId, via: 'visibility' };
      }
      if (Date.now() + delay > deadline) return undefined;
      await sleep(delay);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === '/healthz' && req.method === 'GET') return reply(res, 200, { status: 'ok' });
    if (req.url !== NOTIFICATIONS_PATH) return reply(res, 404, { error: 'not found' });
    if (req.method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
    if (!basicAuthMatches(req.headers.authorization, options.username, options.password)) {
      count('unauthorized');
      res.setHeader('www-authenticate', 'Basic realm="lakeloop"');
      return reply(res, 401, { error: 'unauthorized' });
    }
    let text: string;
    try {
      text = (await readBody(req, limit)).toString('utf8');
    } catch (err) {
      if (err instanceof RequestTooLarge) {
        count('too-large');
        return reply(res, 413, { error: `body larger than ${limit} bytes` });
      }
      throw err;
    }
    let json: unknown;
    try {
      json = parseExactJson(text);
    } catch {
      count('malformed');
      return reply(res, 400, { error: 'body is not JSON' });
    }
    const parsed = notificationSchema.safeParse(json);
    if (!parsed.success) {
      count('malformed');
      const issue = parsed.error.issues[0];
      return reply(res, 400, {
        error: `invalid notification: ${issue?.path.join('.') || 'body'}: ${issue?.message}`,
      });
    }
    const runId = jobRunIdOf(parsed.data);
    if (!WAKING_EVENTS.has(parsed.data.event_type) || parsed.data.task) {
      count('ignored');
      return reply(res, 200, { status: 'ignored', runId });
    }
    const signal = { eventType: parsed.data.event_type, runId };
    // A directory hit needs no lookup slot; anything else queues for one.
    const known = options.runDirectory?.lookup(runId);
    let target: Target | undefined = known
      ? { ...known, via: 'directory' }
      : await lookupSlot(() => findWorkflow(runId));
    for (;;) {
      if (!target) {
        count('unknown-run');
        return reply(res, 202, { status: 'unknown-run', runId });
      }
      try {
        await options.client.workflow
          .getHandle(target.workflowId, target.runId)
          .signal(notificationSignal, signal);
        break;
      } catch (err) {
        // A directory entry whose workflow has closed (or was reset) since it submitted: forget it
        // and ask the search attribute who waits now.
        if (target.via !== 'directory' || !(err instanceof WorkflowNotFoundError)) throw err;
        options.runDirectory?.forget(runId);
        target = await lookupSlot(() => findWorkflow(runId));
      }
    }
    lookups[target.via]++;
    count('signalled', target.via);
    return reply(res, 200, { status: 'signalled', workflowId: target.workflowId });
  }

  // Node enforces headersTimeout/requestTimeout only when it checks its connections (every 30 s by
  // default), so a client trickling headers held a connection for 30 s instead of 5 s.
  const server: Server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    handle(req, res).catch(() => {
      count('error');
      reply(res, 500, { error: 'internal error' });
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}${NOTIFICATIONS_PATH}`,
    stats: () => ({ ...counters }),
    lookups: () => ({ ...lookups }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

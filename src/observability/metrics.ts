/**
 * Lakeloop's own metrics, served with prom-client in the Prometheus text format (0.0.4): the Lakeloop
 * metric set on a registry of its own (never prom-client's global default, so tests and several
 * workers in one process do not collide), and an HTTP server for `/metrics`.
 *
 * Temporal's runtime metrics (task slots, schedule-to-start latency…) are served by the Temporal
 * runtime itself on its own port (LAKELOOP_TEMPORAL_METRICS_ADDR): the runtime binds its own socket,
 * so the two are scraped as two targets rather than merged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import type { AuthType } from '../auth/index.js';
import { normaliseEndpointPath, type RequestEvent } from '../databricks/request-events.js';
import type { BudgetStats } from '../databricks/request-budget.js';
import type { Classification } from '../shared/run-classification.js';

/** Where endpoint paths are normalised (one rule for spans and metrics). */
export { normaliseEndpointPath } from '../databricks/request-events.js';

/** Seconds; termination is detected by polling (seconds to minutes) or a webhook (sub-second). */
export const DETECTION_LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** Remembers which terminal runs were already counted, so retries and safety nets count once. */
const SEEN_LIMIT = 10_000;

/** Lakeloop's metric set. One per worker process, each on its own registry; tests create their own. */
export class LakeloopMetrics {
  readonly registry: Registry;
  readonly databricksRequests: Counter<'method' | 'endpoint' | 'status'>;
  readonly databricksThrottled: Counter<'method' | 'endpoint'>;
  readonly tokenRefreshes: Counter<'auth_type'>;
  readonly tokenRefreshFailures: Counter<'auth_type'>;
  readonly runsSubmitted: Counter<'kind'>;
  readonly runsFinished: Counter<'outcome' | 'termination_type'>;
  readonly terminationDetection: Histogram<'mode'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookLookups: Counter<'via'>;
  private readonly budgets: Array<() => BudgetStats> = [];
  private readonly seenTerminal = new Set<string>();

  constructor(registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const budgets = this.budgets;
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.databricksRequests = counter(
      'lakeloop_databricks_requests_total',
      'Databricks API responses by method, endpoint (ids normalised out) and HTTP status.',
      ['method', 'endpoint', 'status'],
    );
    this.databricksThrottled = counter(
      'lakeloop_databricks_throttled_total',
      'Databricks API responses with status 429 (Too Many Requests), by endpoint.',
      ['method', 'endpoint'],
    );
    // Counters read from the budgets at scrape time (RequestBudget.stats()): prom-client calls
    // `collect` before each scrape, which sets the counter to the budgets' running totals.
    const budgetTotal = (name: string, help: string, read: (stats: BudgetStats) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect: function (this: Counter) {
          this.reset();
          this.inc(budgets.reduce((n, stats) => n + read(stats()), 0));
        },
      });
    budgetTotal(
      'lakeloop_databricks_retry_after_pauses_total',
      'Times the shared request budget paused every request because of Retry-After (429/503).',
      (stats) => stats.retryAfterPauses,
    );
    budgetTotal(
      'lakeloop_databricks_budget_wait_seconds_total',
      'Total time requests waited for the request budget or a Retry-After pause, in seconds.',
      (stats) => stats.waitedMs / 1000,
    );
    this.tokenRefreshes = counter(
      'lakeloop_token_refreshes_total',
      'Databricks access tokens obtained, by auth type.',
      ['auth_type'],
    );
    this.tokenRefreshFailures = counter(
      'lakeloop_token_refresh_failures_total',
      'Failed attempts to obtain a Databricks access token, by auth type.',
      ['auth_type'],
    );
    this.runsSubmitted = counter(
      'lakeloop_runs_submitted_total',
      'Databricks runs started (runs/submit or run-now), by kind.',
      ['kind'],
    );
    this.runsFinished = counter(
      'lakeloop_runs_finished_total',
      'Databricks runs observed terminal, by outcome and termination type.',
      ['outcome', 'termination_type'],
    );
    this.terminationDetection = new Histogram({
      name: 'lakeloop_termination_detection_seconds',
      help: "From a run's end_time (Databricks) to the moment Lakeloop observed it terminal, by wait mode.",
      buckets: DETECTION_LATENCY_BUCKETS,
      labelNames: ['mode'],
      registers,
    });
    this.webhookDeliveries = counter(
      'lakeloop_webhook_deliveries_total',
      'Webhook notifications received, by outcome.',
      ['outcome'],
    );
    // With several workers behind one URL, most deliveries reach a receiver whose worker did not
    // submit the run: each then costs a visibility query. This says how many.
    this.webhookLookups = counter(
      'lakeloop_webhook_lookups_total',
      "Signalled webhook deliveries by where the receiver found the workflow: its worker's run directory or a visibility query.",
      ['via'],
    );
  }

  /** For DatabricksHttpOptions.onResponse. */
  readonly onResponse = (event: RequestEvent): void => {
    const endpoint = normaliseEndpointPath(event.path);
    this.databricksRequests.inc({ method: event.method, endpoint, status: String(event.status) });
    if (event.status === 429) this.databricksThrottled.inc({ method: event.method, endpoint });
  };

  readonly onRefresh = (authType: AuthType): void => this.tokenRefreshes.inc({ auth_type: authType });

  readonly onRefreshFailure = (authType: AuthType): void =>
    this.tokenRefreshFailures.inc({ auth_type: authType });

  /** A delivery's outcome and, for a signalled one, how its workflow was found. */
  readonly onDelivery = (outcome: string, via?: 'directory' | 'visibility'): void => {
    this.webhookDeliveries.inc({ outcome });
    if (via) this.webhookLookups.inc({ via });
  };

  /** Reports the budget's Retry-After pauses and waits at scrape time. */
  observeBudget(stats: () => BudgetStats): void {
    this.budgets.push(stats);
  }

  runSubmitted(kind: 'submit' | 'run-now'): void {
    this.runsSubmitted.inc({ kind });
  }

  /**
   * A run was observed terminal at `observedAt` (ms). Counted once per run and end time (a repaired
   * run ends again with a new end_time); returns the detection latency in seconds when known.
   */
  runTerminal(
    run: { runId: string; endTime?: number },
    verdict: Pick<Classification, 'outcome' | 'terminationType'>,
    mode: string,
    observedAt = Date.now(),
  ): number | undefined {
    const key = `${run.runId}:${run.endTime ?? ''}`;
    if (this.seenTerminal.has(key)) return undefined;
    if (this.seenTerminal.size >= SEEN_LIMIT) this.seenTerminal.clear();
    this.seenTerminal.add(key);
    this.runsFinished.inc({
      outcome: verdict.outcome,
      termination_type: verdict.terminationType ?? 'UNKNOWN',
    });
    if (run.endTime === undefined) return undefined;
    const latency = Math.max(0, observedAt - run.endTime) / 1000;
    this.terminationDetection.observe({ mode }, latency);
    return latency;
  }
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464/metrics */
  url: string;
  close(): Promise<void>;
}

/** Splits "host:port" (or "[v6]:port") as validated by the config. */
export function splitHostPort(address: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^\s:/]+):(\d{1,5})$/.exec(address);
  if (!match) throw new Error(`expected host:port, got "${address}"`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

/** Serves GET /metrics (and 404 elsewhere) on `address` (host:port; port 0 picks a free one). */
export async function startMetricsServer(registry: Registry, address: string): Promise<MetricsServer> {
  const { host, port } = splitHostPort(address);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      // registry.contentType is the 0.0.4 text format: text/plain; version=0.0.4; charset=utf-8
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          res
            .writeHead(500, { 'content-type': 'text/plain' })
            .end(`collecting metrics failed: ${String(err)}\n`);
        },
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shownHost}:${bound.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

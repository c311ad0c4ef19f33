/**
 * Lakeloop's own metrics in the Prometheus text format (0.0.4): a tiny registry of counters and
 * histograms (no dependency), the Lakeloop metric set, and an HTTP server for `/metrics`.
 *
 * Temporal's runtime metrics (task slots, schedule-to-start latency…) are served by the Temporal
 * runtime itself on its own port (LAKELOOP_TEMPORAL_METRICS_ADDR): the runtime binds its own socket,
 * so the two are scraped as two targets rather than merged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthType } from '../auth/index.js';
import { normaliseEndpointPath, type RequestEvent } from '../databricks/request-events.js';
import type { BudgetStats } from '../databricks/request-budget.js';
import type { Classification } from '../shared/run-classification.js';

type Labels = Record<string, string>;

interface Metric {
  readonly name: string;
  render(): string[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(labels: Labels, extra?: Labels): string {
  const all = { ...labels, ...extra };
  const entries = Object.entries(all);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function formatValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return Number.isNaN(value) ? 'NaN' : String(value);
}

function keyOf(labelNames: readonly string[], labels: Labels): string {
  return JSON.stringify(labelNames.map((n) => labels[n] ?? ''));
}

function pick(labelNames: readonly string[], labels: Labels): Labels {
  const unknown = Object.keys(labels).filter((k) => !labelNames.includes(k));
  if (unknown.length > 0) throw new Error(`unknown label(s) ${unknown.join(', ')}`);
  return Object.fromEntries(labelNames.map((n) => [n, labels[n] ?? '']));
}

export class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: counters only go up`);
    const key = keyOf(this.labelNames, labels);
    const entry = this.values.get(key) ?? { labels: pick(this.labelNames, labels), value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }

  get(labels: Labels = {}): number {
    return this.values.get(keyOf(this.labelNames, labels))?.value ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) {
      lines.push(`${this.name}${formatLabels(labels)} ${formatValue(value)}`);
    }
    return lines;
  }
}

/** A counter whose value is read at scrape time (e.g. from RequestBudget.stats()). */
export class CallbackCounter implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly read: () => number,
  ) {}

  render(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} counter`,
      `${this.name} ${formatValue(this.read())}`,
    ];
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  private readonly buckets: number[];

  constructor(
    readonly name: string,
    private readonly help: string,
    buckets: readonly number[],
    private readonly labelNames: readonly string[] = [],
  ) {
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(value: number, labels: Labels = {}): void {
    const key = keyOf(this.labelNames, labels);
    const entry = this.series.get(key) ?? {
      labels: pick(this.labelNames, labels),
      counts: this.buckets.map(() => 0),
      sum: 0,
      count: 0,
    };
    this.buckets.forEach((bound, i) => {
      if (value <= bound) entry.counts[i]!++;
    });
    entry.sum += value;
    entry.count++;
    this.series.set(key, entry);
  }

  count(labels: Labels = {}): number {
    return this.series.get(keyOf(this.labelNames, labels))?.count ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${formatLabels(labels, { le: formatValue(bound) })} ${counts[i]}`);
      });
      lines.push(`${this.name}_bucket${formatLabels(labels, { le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${formatLabels(labels)} ${formatValue(sum)}`);
      lines.push(`${this.name}_count${formatLabels(labels)} ${count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  register<M extends Metric>(metric: M): M {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric.name)) throw new Error(`bad metric name ${metric.name}`);
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  histogram(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames: readonly string[] = [],
  ): Histogram {
    return this.register(new Histogram(name, help, buckets, labelNames));
  }

  /** The exposition text (text/plain; version=0.0.4). */
  render(): string {
    return [...this.metrics.values()].flatMap((m) => m.render()).join('\n') + '\n';
  }
}

/** Where endpoint paths are normalised (one rule for spans and metrics). */
export { normaliseEndpointPath } from '../databricks/request-events.js';

/** Seconds; termination is detected by polling (seconds to minutes) or a webhook (sub-second). */
export const DETECTION_LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** Remembers which terminal runs were already counted, so retries and safety nets count once. */
const SEEN_LIMIT = 10_000;

/** Lakeloop's metric set. One per worker process; tests create their own. */
export class LakeloopMetrics {
  readonly registry: MetricsRegistry;
  readonly databricksRequests: Counter;
  readonly databricksThrottled: Counter;
  readonly tokenRefreshes: Counter;
  readonly tokenRefreshFailures: Counter;
  readonly runsSubmitted: Counter;
  readonly runsFinished: Counter;
  readonly terminationDetection: Histogram;
  readonly webhookDeliveries: Counter;
  private readonly budgets: Array<() => BudgetStats> = [];
  private readonly seenTerminal = new Set<string>();

  constructor(registry = new MetricsRegistry()) {
    this.registry = registry;
    this.databricksRequests = registry.counter(
      'lakeloop_databricks_requests_total',
      'Databricks API responses by method, endpoint (ids normalised out) and HTTP status.',
      ['method', 'endpoint', 'status'],
    );
    this.databricksThrottled = registry.counter(
      'lakeloop_databricks_throttled_total',
      'Databricks API responses with status 429 (Too Many Requests), by endpoint.',
      ['method', 'endpoint'],
    );
    registry.register(
      new CallbackCounter(
        'lakeloop_databricks_retry_after_pauses_total',
        'Times the shared request budget paused every request because of Retry-After (429/503).',
        () => this.budgets.reduce((n, stats) => n + stats().retryAfterPauses, 0),
      ),
    );
    registry.register(
      new CallbackCounter(
        'lakeloop_databricks_budget_wait_seconds_total',
        'Total time requests waited for the request budget or a Retry-After pause, in seconds.',
        () => this.budgets.reduce((n, stats) => n + stats().waitedMs, 0) / 1000,
      ),
    );
    this.tokenRefreshes = registry.counter(
      'lakeloop_token_refreshes_total',
      'Databricks access tokens obtained, by auth type.',
      ['auth_type'],
    );
    this.tokenRefreshFailures = registry.counter(
      'lakeloop_token_refresh_failures_total',
      'Failed attempts to obtain a Databricks access token, by auth type.',
      ['auth_type'],
    );
    this.runsSubmitted = registry.counter(
      'lakeloop_runs_submitted_total',
      'Databricks runs started (runs/submit or run-now), by kind.',
      ['kind'],
    );
    this.runsFinished = registry.counter(
      'lakeloop_runs_finished_total',
      'Databricks runs observed terminal, by outcome and termination type.',
      ['outcome', 'termination_type'],
    );
    this.terminationDetection = registry.histogram(
      'lakeloop_termination_detection_seconds',
      "From a run's end_time (Databricks) to the moment Lakeloop observed it terminal, by wait mode.",
      DETECTION_LATENCY_BUCKETS,
      ['mode'],
    );
    this.webhookDeliveries = registry.counter(
      'lakeloop_webhook_deliveries_total',
      'Webhook notifications received, by outcome.',
      ['outcome'],
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

  readonly onDelivery = (outcome: string): void => this.webhookDeliveries.inc({ outcome });

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
    this.terminationDetection.observe(latency, { mode });
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
export async function startMetricsServer(registry: MetricsRegistry, address: string): Promise<MetricsServer> {
  const { host, port } = splitHostPort(address);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : registry.render());
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

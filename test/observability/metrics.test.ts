import { afterAll, describe, expect, test } from '@jest/globals';
import { register, type Counter, type Histogram } from 'prom-client';
import {
  LakeloopMetrics,
  normaliseEndpointPath,
  splitHostPort,
  startMetricsServer,
  type MetricsServer,
} from '../../src/observability/metrics.js';

/** Reads one labelled series of a prom-client metric (its value, 0 when never observed). */
async function seriesValue(metric: Counter | Histogram, name: string, labels: Record<string, string>) {
  const { values } = await metric.get();
  const matches = (l: Record<string, unknown>) => Object.entries(labels).every(([k, v]) => l[k] === v);
  const named = (v: object) => ((v as { metricName?: string }).metricName ?? name) === name;
  return values.find((v) => named(v) && matches(v.labels))?.value ?? 0;
}

describe('LakeloopMetrics', () => {
  // The exposition Lakeloop served before prom-client, line for line: the same names, types, labels
  // and help strings. prom-client separates families with a blank line and puts `le` first in a
  // histogram's labels; the text format (0.0.4) ignores empty lines and label order.
  test('serves every metric with its name, type, labels and help in the Prometheus text format', async () => {
    const metrics = new LakeloopMetrics();
    metrics.onResponse({ method: 'GET', path: '/api/2.2/jobs/runs/get', status: 200, durationMs: 1 });
    metrics.onResponse({ method: 'GET', path: '/api/2.2/jobs/runs/get', status: 429, durationMs: 1 });
    metrics.onRefresh('oauth-m2m');
    metrics.onRefreshFailure('oauth-m2m');
    metrics.onDelivery('signalled', 'visibility');
    metrics.observeBudget(() => ({ acquired: 3, waitedMs: 1500, retryAfterPauses: 2 }));
    metrics.runSubmitted('submit');
    metrics.runTerminal(
      { runId: '1', endTime: 1000 },
      { outcome: 'SUCCESS', terminationType: 'SUCCESS' },
      'poll',
      3500,
    );
    metrics.runTerminal({ runId: '2' }, { outcome: 'FAILED' }, 'webhook', 3500);
    expect(await metrics.registry.metrics()).toBe(
      [
        '# HELP lakeloop_databricks_requests_total Databricks API responses by method, endpoint (ids normalised out) and HTTP status.',
        '# TYPE lakeloop_databricks_requests_total counter',
        'lakeloop_databricks_requests_total{method="GET",endpoint="/api/2.2/jobs/runs/get",status="200"} 1',
        'lakeloop_databricks_requests_total{method="GET",endpoint="/api/2.2/jobs/runs/get",status="429"} 1',
        '',
        '# HELP lakeloop_databricks_throttled_total Databricks API responses with status 429 (Too Many Requests), by endpoint.',
        '# TYPE lakeloop_databricks_throttled_total counter',
        'lakeloop_databricks_throttled_total{method="GET",endpoint="/api/2.2/jobs/runs/get"} 1',
        '',
        '# HELP lakeloop_databricks_retry_after_pauses_total Times the shared request budget paused every request because of Retry-After (429/503).',
        '# TYPE lakeloop_databricks_retry_after_pauses_total counter',
        'lakeloop_databricks_retry_after_pauses_total 2',
        '',
        '# HELP lakeloop_databricks_budget_wait_seconds_total Total time requests waited for the request budget or a Retry-After pause, in seconds.',
        '# TYPE lakeloop_databricks_budget_wait_seconds_total counter',
        'lakeloop_databricks_budget_wait_seconds_total 1.5',
        '',
        '# HELP lakeloop_token_refreshes_total Databricks access tokens obtained, by auth type.',
        '# TYPE lakeloop_token_refreshes_total counter',
        'lakeloop_token_refreshes_total{auth_type="oauth-m2m"} 1',
        '',
        '# HELP lakeloop_token_refresh_failures_total Failed attempts to obtain a Databricks access token, by auth type.',
        '# TYPE lakeloop_token_refresh_failures_total counter',
        'lakeloop_token_refresh_failures_total{auth_type="oauth-m2m"} 1',
        '',
        '# HELP lakeloop_runs_submitted_total Databricks runs started (runs/submit or run-now), by kind.',
        '# TYPE lakeloop_runs_submitted_total counter',
        'lakeloop_runs_submitted_total{kind="submit"} 1',
        '',
        '# HELP lakeloop_runs_finished_total Databricks runs observed terminal, by outcome and termination type.',
        '# TYPE lakeloop_runs_finished_total counter',
        'lakeloop_runs_finished_total{outcome="SUCCESS",termination_type="SUCCESS"} 1',
        'lakeloop_runs_finished_total{outcome="FAILED",termination_type="UNKNOWN"} 1',
        '',
        "# HELP lakeloop_termination_detection_seconds From a run's end_time (Databricks) to the moment Lakeloop observed it terminal, by wait mode.",
        '# TYPE lakeloop_termination_detection_seconds histogram',
        'lakeloop_termination_detection_seconds_bucket{le="0.1",mode="poll"} 0',
        'lakeloop_termination_detection_seconds_bucket{le="0.25",mode="poll"} 0',
        'lakeloop_termination_detection_seconds_bucket{le="0.5",mode="poll"} 0',
        'lakeloop_termination_detection_seconds_bucket{le="1",mode="poll"} 0',
        'lakeloop_termination_detection_seconds_bucket{le="2.5",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_bucket{le="5",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_bucket{le="10",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_bucket{le="30",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_bucket{le="60",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_bucket{le="120",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_bucket{le="300",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_bucket{le="600",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_bucket{le="1800",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_bucket{le="+Inf",mode="poll"} 1',
        'lakeloop_termination_detection_seconds_sum{mode="poll"} 2.5',
        'lakeloop_termination_detection_seconds_count{mode="poll"} 1',
        '',
        '# HELP lakeloop_webhook_deliveries_total Webhook notifications received, by outcome.',
        '# TYPE lakeloop_webhook_deliveries_total counter',
        'lakeloop_webhook_deliveries_total{outcome="signalled"} 1',
        '',
        "# HELP lakeloop_webhook_lookups_total Signalled webhook deliveries by where the receiver found the workflow: its worker's run directory or a visibility query.",
        '# TYPE lakeloop_webhook_lookups_total counter',
        'lakeloop_webhook_lookups_total{via="visibility"} 1',
        '',
      ].join('\n'),
    );
    expect(metrics.registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  test('each instance has a registry of its own (one per worker; none on the global default)', async () => {
    const a = new LakeloopMetrics();
    const b = new LakeloopMetrics();
    a.onDelivery('signalled');
    expect(
      await seriesValue(a.webhookDeliveries, 'lakeloop_webhook_deliveries_total', { outcome: 'signalled' }),
    ).toBe(1);
    expect(
      await seriesValue(b.webhookDeliveries, 'lakeloop_webhook_deliveries_total', { outcome: 'signalled' }),
    ).toBe(0);
    expect(await register.getMetricsAsJSON()).toEqual([]);
  });

  test('endpoint paths lose their ids but keep the API version', () => {
    expect(normaliseEndpointPath('/api/2.2/jobs/runs/get')).toBe('/api/2.2/jobs/runs/get');
    expect(normaliseEndpointPath('/api/2.0/preview/scim/v2/Users/1234567')).toBe(
      '/api/2.0/preview/scim/v2/Users/:id',
    );
    expect(normaliseEndpointPath('/api/2.0/mlflow/runs/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/x')).toBe(
      '/api/2.0/mlflow/runs/:id/x',
    );
    expect(normaliseEndpointPath('/api/2.0/fs/files/a1b2c3d4e5f6a7b8c9d0?x=1')).toBe('/api/2.0/fs/files/:id');
  });

  test('a terminal run is counted once per end time, with its detection latency', async () => {
    const metrics = new LakeloopMetrics();
    const verdict = { outcome: 'SUCCESS' as const, terminationType: 'SUCCESS' };
    expect(metrics.runTerminal({ runId: '1', endTime: 1_000 }, verdict, 'poll', 3_500)).toBe(2.5);
    expect(metrics.runTerminal({ runId: '1', endTime: 1_000 }, verdict, 'poll', 9_000)).toBeUndefined();
    // A repair ends the same run again, later.
    expect(metrics.runTerminal({ runId: '1', endTime: 5_000 }, verdict, 'poll', 5_000)).toBe(0);
    expect(
      await seriesValue(metrics.runsFinished, 'lakeloop_runs_finished_total', {
        outcome: 'SUCCESS',
        termination_type: 'SUCCESS',
      }),
    ).toBe(2);
    const detectionCount = 'lakeloop_termination_detection_seconds_count';
    expect(await seriesValue(metrics.terminationDetection, detectionCount, { mode: 'poll' })).toBe(2);
  });

  test('host:port parsing', () => {
    expect(splitHostPort('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(splitHostPort('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(() => splitHostPort('9464')).toThrow(/host:port/);
  });
});

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;
  afterAll(async () => server?.close());

  test('serves /metrics over HTTP', async () => {
    const metrics = new LakeloopMetrics();
    metrics.onDelivery('signalled');
    metrics.onResponse({ method: 'GET', path: '/api/2.2/jobs/runs/get', status: 429, durationMs: 3 });
    server = await startMetricsServer(metrics.registry, '127.0.0.1:0');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(server.url)).text();
    expect(text).toContain('lakeloop_webhook_deliveries_total{outcome="signalled"} 1');
    expect(text).toContain(
      'lakeloop_databricks_requests_total{method="GET",endpoint="/api/2.2/jobs/runs/get",status="429"} 1',
    );
    expect(text).toContain(
      'lakeloop_databricks_throttled_total{method="GET",endpoint="/api/2.2/jobs/runs/get"} 1',
    );
  });
});

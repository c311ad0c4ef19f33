import { afterAll, describe, expect, test } from '@jest/globals';
import {
  LakeloopMetrics,
  MetricsRegistry,
  normaliseEndpointPath,
  splitHostPort,
  startMetricsServer,
  type MetricsServer,
} from '../../src/observability/metrics.js';

describe('MetricsRegistry', () => {
  test('renders counters and histograms in the Prometheus text format', () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter('demo_total', 'A demo counter.', ['kind']);
    counter.inc({ kind: 'a' });
    counter.inc({ kind: 'a' }, 2);
    counter.inc({ kind: 'quote"d' });
    const histogram = registry.histogram('demo_seconds', 'A demo histogram.', [0.5, 1]);
    histogram.observe(0.2);
    histogram.observe(0.7);
    histogram.observe(3);
    expect(registry.render()).toBe(
      [
        '# HELP demo_total A demo counter.',
        '# TYPE demo_total counter',
        'demo_total{kind="a"} 3',
        'demo_total{kind="quote\\"d"} 1',
        '# HELP demo_seconds A demo histogram.',
        '# TYPE demo_seconds histogram',
        'demo_seconds_bucket{le="0.5"} 1',
        'demo_seconds_bucket{le="1"} 2',
        'demo_seconds_bucket{le="+Inf"} 3',
        'demo_seconds_sum 3.9',
        'demo_seconds_count 3',
        '',
      ].join('\n'),
    );
    expect(() => counter.inc({ kind: 'a' }, -1)).toThrow(/only go up/);
    expect(() => counter.inc({ other: 'x' })).toThrow(/unknown label/);
    expect(() => registry.counter('demo_total', 'again')).toThrow(/already registered/);
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

  test('a terminal run is counted once per end time, with its detection latency', () => {
    const metrics = new LakeloopMetrics();
    const verdict = { outcome: 'SUCCESS' as const, terminationType: 'SUCCESS' };
    expect(metrics.runTerminal({ runId: '1', endTime: 1_000 }, verdict, 'poll', 3_500)).toBe(2.5);
    expect(metrics.runTerminal({ runId: '1', endTime: 1_000 }, verdict, 'poll', 9_000)).toBeUndefined();
    // A repair ends the same run again, later.
    expect(metrics.runTerminal({ runId: '1', endTime: 5_000 }, verdict, 'poll', 5_000)).toBe(0);
    expect(metrics.runsFinished.get({ outcome: 'SUCCESS', termination_type: 'SUCCESS' })).toBe(2);
    expect(metrics.terminationDetection.count({ mode: 'poll' })).toBe(2);
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

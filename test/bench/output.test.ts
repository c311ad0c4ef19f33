import { describe, expect, it } from '@jest/globals';
import {
  lengthSummary,
  markdownTable,
  percentile,
  perRun,
  svgChart,
  workersTable,
  type ScenarioResult,
} from '../../bench/output.js';

const result: ScenarioResult = {
  name: 'fan-out-100',
  system: 'lakeloop',
  mode: 'webhook',
  runs: 100,
  emulatedRunMs: 60_000,
  timeScale: 10,
  apiCallsPerRun: 4,
  apiCallsByEndpoint: { 'POST /api/2.2/jobs/runs/submit': 1, 'GET /api/2.2/jobs/runs/get': 3 },
  detectionLatencyMs: { p50: 40, p99: 120 },
  historyEventsPerRun: 33,
  peakRssMb: 400,
  cpuSeconds: 2.5,
  completed: 100,
  failed: 0,
  wallSeconds: 9.1,
};

describe('bench output', () => {
  it('computes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5], 99)).toBe(5);
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([3, 1, 2], 0)).toBe(1);
  });

  it('turns request-count deltas into calls per run', () => {
    const { total, byEndpoint } = perRun(
      { 'GET /api/2.2/jobs/runs/get': 10, 'GET /other': 4 },
      { 'GET /api/2.2/jobs/runs/get': 40, 'GET /other': 4, 'POST /api/2.2/jobs/runs/submit': 10 },
      10,
    );
    expect(byEndpoint).toEqual({ 'GET /api/2.2/jobs/runs/get': 3, 'POST /api/2.2/jobs/runs/submit': 1 });
    expect(total).toBe(4);
  });

  it('has the JSON shape issue 8 asks for', () => {
    const json = JSON.parse(JSON.stringify({ machine: {}, scenarios: [result] })) as {
      scenarios: Record<string, unknown>[];
    };
    for (const key of [
      'name',
      'system',
      'mode',
      'runs',
      'apiCallsPerRun',
      'apiCallsByEndpoint',
      'detectionLatencyMs',
      'historyEventsPerRun',
      'peakRssMb',
      'cpuSeconds',
      'completed',
      'failed',
      'wallSeconds',
    ]) {
      expect(json.scenarios[0]).toHaveProperty(key);
    }
    expect(json.scenarios[0]!.detectionLatencyMs).toEqual({ p50: 40, p99: 120 });
  });

  it('renders one markdown row per scenario and system', () => {
    const lines = markdownTable([
      result,
      { ...result, mode: 'poll', detectionLatencyMs: { p50: null, p99: null } },
    ])
      .trim()
      .split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\| scenario \| system \| mode \|/);
    expect(lines[2]).toContain('| fan-out-100 | lakeloop | webhook | 100 | 60 s / 6 s | 4 |');
    expect(lines[3]).toContain('| – | – |');
  });

  it('renders a well-formed SVG', () => {
    const svg = svgChart([result]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('lakeloop/webhook');
  });
});

describe('drawn run lengths in results', () => {
  it('lengthSummary: shortest, nearest-rank median and longest; nothing without draws', () => {
    expect(lengthSummary([700, 500, 600, 900])).toEqual({ runLengthMs: { min: 500, p50: 600, max: 900 } });
    expect(lengthSummary(undefined)).toEqual({});
    expect(lengthSummary([])).toEqual({});
  });

  it('the table shows drawn lengths as median (shortest–longest), emulated / real', () => {
    const drawn: ScenarioResult = {
      ...result,
      name: 'single-long-uncompressed',
      mode: 'poll',
      variant: 'prediction',
      emulatedRunMs: 600_000,
      timeScale: 1,
      runLengthMs: { min: 429_000, p50: 601_000, max: 847_000 },
    };
    const row = markdownTable([drawn]).split('\n')[2]!;
    expect(row).toContain('| poll (prediction) |');
    expect(row).toContain('| 601 s (429–847) / 601 s (429–847) |');
  });
});

describe('worker processes and server figures (--workers, --cluster)', () => {
  const withWorkers: ScenarioResult = {
    ...result,
    deployment: { temporal: 'cluster', workers: 2 },
    workers: [
      {
        name: 'worker-1',
        pid: 11,
        peakRssMb: 345.7,
        lifetimePeakRssMb: 350,
        cpuSeconds: 4.2,
        cpuMsPerRun: 42,
        runsSubmitted: 47,
        deliveriesReceived: 100,
        signalledViaDirectory: 22,
        signalledViaVisibility: 28,
      },
    ],
    server: { 'temporal-server': { peakRssMb: 226.2, cpuSeconds: 9.5 }, postgres: null },
  };

  it('one line per worker and per server process, after the main table', () => {
    const lines = workersTable([result, withWorkers]).trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe(
      '| fan-out-100 | webhook | cluster / 2 | worker-1 | 345.7 / 350 | 4.2 | 42 | 47 | 100 | 22 / 28 |',
    );
    // Server CPU per run: 9.5 s over 100 runs.
    expect(lines[3]).toBe(
      '| fan-out-100 | webhook | cluster / 2 | temporal-server | 226.2 | 9.5 | 95 |  |  |  |',
    );
    expect(lines[4]).toContain('| postgres | – | – | – |');
    expect(markdownTable([withWorkers])).toContain(lines[2]);
  });

  it('nothing for rows without worker processes or server figures', () => {
    expect(workersTable([result])).toBe('');
  });
});

/**
 * Pure parts of the benchmark: the result shape, percentiles, the markdown table and the SVG chart.
 * No I/O here, so test/bench/output.test.ts can check them without a server.
 */

/**
 * Lakeloop's poll mode in the uncompressed scenario: with predictive polling and the job's history,
 * without prediction (LAKELOOP_POLL_PREDICTION=off, the back-off alone), and with prediction but no
 * history (a job's first runs).
 */
export const PREDICTION_VARIANTS = ['prediction', 'no-prediction', 'cold-start'] as const;
export type PredictionVariant = (typeof PREDICTION_VARIANTS)[number];

export interface ScenarioResult {
  name: string;
  system: 'lakeloop' | 'prefect' | 'airflow';
  mode: 'webhook' | 'poll';
  /**
   * Airflow: how the operator waits — 'deferrable' (a trigger polls on the triggerer's event loop) or
   * 'classic' (execute() polls, holding a worker slot). Both poll, so mode is 'poll'. Lakeloop in
   * the uncompressed scenario: which poll arm (PREDICTION_VARIANTS); absent elsewhere.
   */
  variant?: 'deferrable' | 'classic' | PredictionVariant;
  runs: number;
  /** Emulated duration of each run (ms) and the emulator's timeScale: real duration = emulated / timeScale. */
  emulatedRunMs: number;
  /** When run lengths were drawn (emulatedRunMs is then their median): shortest, median, longest. */
  runLengthMs?: { min: number; p50: number; max: number };
  timeScale: number;
  apiCallsPerRun: number;
  apiCallsByEndpoint: Record<string, number>;
  /** Emulator's wall-clock end of the run → first terminal runs/get response received by the worker. */
  detectionLatencyMs: { p50: number | null; p99: number | null };
  historyEventsPerRun: number | null;
  peakRssMb: number;
  cpuSeconds: number;
  completed: number;
  failed: number;
  wallSeconds: number;
  /**
   * Lakeloop: the worker's workflow cache size and, from the Temporal runtime's metrics, how often it
   * evicted a workflow to make room and how often a task found its workflow gone (a full replay).
   */
  workflowCache?: { maxCachedWorkflows: number; forcedEvictions: number; misses: number };
  /** Runs per second: started (all starts accepted by Temporal) and completed (over the wall time). */
  runsPerSecond?: { started: number; completed: number };
  /** Lakeloop: which Temporal server, and the worker in the bench process or N worker processes. */
  deployment?: { temporal: 'dev-server' | 'cluster'; workers: number | 'in-process' };
  /** Lakeloop with --workers: each worker process's figures over the measured window. */
  workers?: WorkerFigures[];
  /** Lakeloop: the Temporal server's processes over the measured window (null: not on Linux). */
  server?: Record<string, { peakRssMb: number; cpuSeconds: number } | null>;
  /** Webhook mode: notifications the emulator sent and where the receiver routed them. */
  notifications?: {
    sent: number;
    failedDelivery: number;
    signalledViaDirectory: number;
    signalledViaVisibility: number;
    unknownRun: number;
  };
}

/** One worker process of a --workers arm (bench/worker-processes.ts). */
export interface WorkerFigures {
  name: string;
  pid: number;
  /** Peak VmRSS sampled over the measured window (every 250 ms). */
  peakRssMb: number;
  /** VmHWM at the window's end: the process's peak since it started (start-up included). */
  lifetimePeakRssMb: number;
  /** utime + stime over the measured window. */
  cpuSeconds: number;
  /** cpuSeconds per run of the scenario (all runs, not only this worker's), in ms. */
  cpuMsPerRun: number;
  /** lakeloop_runs_submitted_total: the runs this worker submitted. */
  runsSubmitted: number;
  /** Notifications the front forwarded to this worker's receiver (starts and ends). */
  deliveriesReceived: number;
  /** lakeloop_webhook_lookups_total: signalled deliveries found in its run directory / by visibility. */
  signalledViaDirectory: number;
  signalledViaVisibility: number;
}

export interface BenchReport {
  machine: Record<string, unknown>;
  quick: boolean;
  notes: string[];
  /** Per scenario with drawn lengths: the spread, the measured runs' lengths and the history's (ms). */
  draws?: Record<string, { spread: unknown; runLengthsMs: number[]; historyLengthsMs: number[] }>;
  scenarios: ScenarioResult[];
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Shortest, median and longest of drawn run lengths, as a result field; nothing when none were drawn. */
export function lengthSummary(lengths: readonly number[] | undefined): Pick<ScenarioResult, 'runLengthMs'> {
  if (!lengths || lengths.length === 0) return {};
  return {
    runLengthMs: {
      min: Math.min(...lengths),
      p50: percentile(lengths, 50)!,
      max: Math.max(...lengths),
    },
  };
}

/** Per-run averages of emulator request-count deltas, keyed "METHOD /path". */
export function perRun(
  before: Record<string, number>,
  after: Record<string, number>,
  runs: number,
): { total: number; byEndpoint: Record<string, number> } {
  const byEndpoint: Record<string, number> = {};
  let total = 0;
  for (const [key, count] of Object.entries(after)) {
    const delta = count - (before[key] ?? 0);
    if (delta <= 0) continue;
    total += delta;
    byEndpoint[key] = round(delta / Math.max(1, runs), 2);
  }
  return { total: round(total / Math.max(1, runs), 2), byEndpoint };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** "600 s / 60 s" (emulated / real); drawn lengths as "median (shortest–longest)". */
function runLength(r: ScenarioResult): string {
  const real = (ms: number) => round(ms / r.timeScale / 1000, 2);
  if (r.runLengthMs) {
    const { min, p50, max } = r.runLengthMs;
    const drawn = (f: (ms: number) => number) => `${f(p50)} s (${f(min)}–${f(max)})`;
    return `${drawn((ms) => round(ms / 1000, 2))} / ${drawn(real)}`;
  }
  return `${r.emulatedRunMs / 1000} s / ${real(r.emulatedRunMs)} s`;
}

const show = (value: number | null): string => (value === null ? '–' : String(value));

/** A row's system and way of waiting, e.g. lakeloop/webhook or airflow/deferrable. */
const seriesOf = (r: ScenarioResult): string => `${r.system}/${r.variant ?? r.mode}`;

export function markdownTable(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'system',
    'mode',
    'runs',
    'run length (emulated / real)',
    'API calls/run',
    'by endpoint',
    'detect p50 ms',
    'detect p99 ms',
    'history events/run',
    'peak RSS MB',
    'workflow cache (size / evictions)',
    'CPU s',
    'ok',
    'failed',
    'wall s',
    'runs/s started / completed',
  ];
  const rows = results.map((r) => [
    r.name,
    r.system,
    r.variant ? `${r.mode} (${r.variant})` : r.mode,
    String(r.runs),
    runLength(r),
    String(r.apiCallsPerRun),
    Object.entries(r.apiCallsByEndpoint)
      .map(([k, v]) => `${k.replace(/^(\w+) \/api\/[\d.]+\//, '$1 ')} ${v}`)
      .join('<br>'),
    show(r.detectionLatencyMs.p50),
    show(r.detectionLatencyMs.p99),
    show(r.historyEventsPerRun),
    String(r.peakRssMb),
    r.workflowCache ? `${r.workflowCache.maxCachedWorkflows} / ${r.workflowCache.forcedEvictions}` : '—',
    String(r.cpuSeconds),
    String(r.completed),
    String(r.failed),
    String(r.wallSeconds),
    r.runsPerSecond ? `${r.runsPerSecond.started} / ${r.runsPerSecond.completed}` : '–',
  ]);
  return table(header, rows) + workersTable(results);
}

function table(header: string[], rows: string[][]): string {
  return (
    [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n') + '\n'
  );
}

/**
 * Rows with worker processes (--workers) or server figures: one line per worker and per server
 * process, over the same measured window as the row above. Empty when no row has either.
 */
export function workersTable(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'mode',
    'temporal / workers',
    'process',
    'peak RSS MB (window / lifetime)',
    'CPU s',
    'CPU ms/run',
    'runs submitted',
    'deliveries received',
    'signalled via directory / visibility',
  ];
  const rows: string[][] = [];
  for (const r of results) {
    if (!r.deployment || (!r.workers && !r.server)) continue;
    const lead = [
      r.name,
      r.variant ? `${r.mode} (${r.variant})` : r.mode,
      `${r.deployment.temporal} / ${r.deployment.workers}`,
    ];
    for (const w of r.workers ?? []) {
      rows.push([
        ...lead,
        w.name,
        `${w.peakRssMb} / ${w.lifetimePeakRssMb}`,
        String(w.cpuSeconds),
        String(w.cpuMsPerRun),
        String(w.runsSubmitted),
        String(w.deliveriesReceived),
        `${w.signalledViaDirectory} / ${w.signalledViaVisibility}`,
      ]);
    }
    for (const [name, figures] of Object.entries(r.server ?? {})) {
      rows.push([
        ...lead,
        name,
        figures ? String(figures.peakRssMb) : '–',
        figures ? String(figures.cpuSeconds) : '–',
        figures ? String(round((figures.cpuSeconds * 1000) / r.runs, 2)) : '–',
        '',
        '',
        '',
      ]);
    }
  }
  return rows.length === 0 ? '' : `\n${table(header, rows)}`;
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A grouped bar chart: for each scenario, API calls per run and detection latency p50 (seconds),
 * one bar per system/mode. Hand-written SVG, no dependencies.
 */
export function svgChart(results: readonly ScenarioResult[]): string {
  const panels: { title: string; value: (r: ScenarioResult) => number }[] = [
    { title: 'Databricks API calls per run', value: (r) => r.apiCallsPerRun },
    { title: 'Detection latency p50 (s)', value: (r) => (r.detectionLatencyMs.p50 ?? 0) / 1000 },
  ];
  const names = [...new Set(results.map((r) => r.name))];
  const series = [...new Set(results.map(seriesOf))];
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  const barW = 18;
  const groupW = series.length * barW + 24;
  const panelW = Math.max(260, names.length * groupW + 60);
  const panelH = 240;
  const width = panels.length * (panelW + 20) + 20;
  // Legend entries 140 px apart, wrapped onto more rows when the series outnumber the width.
  const legendPerRow = Math.max(1, Math.floor((width - 60) / 140));
  const legendRows = Math.ceil(series.length / legendPerRow);
  const height = panelH + 110 + (legendRows - 1) * 18;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  panels.forEach((panel, p) => {
    const x0 = 20 + p * (panelW + 20) + 40;
    const y0 = 30;
    const plotH = panelH - 60;
    const max = Math.max(1e-9, ...results.map(panel.value));
    out.push(
      `<text x="${x0}" y="${y0 - 10}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`,
    );
    out.push(
      `<line x1="${x0}" y1="${y0 + plotH}" x2="${x0 + panelW - 50}" y2="${y0 + plotH}" stroke="#333"/>`,
    );
    out.push(`<text x="${x0 - 4}" y="${y0 + 4}" text-anchor="end">${round(max, 2)}</text>`);
    out.push(`<text x="${x0 - 4}" y="${y0 + plotH}" text-anchor="end">0</text>`);
    names.forEach((name, g) => {
      const gx = x0 + 10 + g * groupW;
      series.forEach((s, i) => {
        const r = results.find((x) => x.name === name && seriesOf(x) === s);
        if (!r) return;
        const v = panel.value(r);
        const h = (v / max) * plotH;
        out.push(
          `<rect x="${gx + i * barW}" y="${round(y0 + plotH - h, 1)}" width="${barW - 2}" height="${round(h, 1)}" fill="${colors[i % colors.length]}"><title>${escapeXml(`${name} ${s}: ${round(v, 3)}`)}</title></rect>`,
        );
      });
      out.push(
        `<text x="${gx}" y="${y0 + plotH + 14}" transform="rotate(20 ${gx} ${y0 + plotH + 14})">${escapeXml(name)}</text>`,
      );
    });
  });
  series.forEach((s, i) => {
    const lx = 60 + (i % legendPerRow) * 140;
    const ly = height - 22 - (legendRows - 1 - Math.floor(i / legendPerRow)) * 18;
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${colors[i % colors.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="${ly + 10}">${escapeXml(s)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * `node --import tsx bench/check-report.ts REPORT.json` — CI's check of a `--quick` bench run. It
 * asserts what must hold on any machine (the report has the issue's shape, the table and chart exist,
 * and Lakeloop completed every run in both modes) and never a timing: figures depend on the machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { PREDICTION_VARIANTS } from './output.js';

const count = z.number().nonnegative();
const scenarioSchema = z.object({
  name: z.string().min(1),
  system: z.enum(['lakeloop', 'prefect', 'airflow']),
  mode: z.enum(['webhook', 'poll']),
  variant: z.enum(['deferrable', 'classic', ...PREDICTION_VARIANTS]).optional(),
  runs: z.number().int().positive(),
  apiCallsPerRun: count,
  apiCallsByEndpoint: z.record(z.string(), count),
  detectionLatencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }),
  historyEventsPerRun: count.nullable(),
  peakRssMb: count,
  cpuSeconds: count,
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  wallSeconds: count,
  workflowCache: z
    .object({ maxCachedWorkflows: z.number().int().nonnegative(), forcedEvictions: count, misses: count })
    .optional(),
});
const reportSchema = z.object({
  machine: z.record(z.string(), z.unknown()),
  quick: z.boolean(),
  scenarios: z.array(scenarioSchema).min(1),
});

const file = process.argv[2];
if (!file) {
  console.error('usage: check-report.ts REPORT.json');
  process.exit(2);
}
const problems: string[] = [];
const parsed = reportSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
if (!parsed.success) {
  for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
} else {
  const report = parsed.data;
  const names = [...new Set(report.scenarios.map((s) => s.name))];
  for (const name of names) {
    for (const mode of ['webhook', 'poll'] as const) {
      const rows = report.scenarios.filter(
        (s) => s.name === name && s.system === 'lakeloop' && s.mode === mode,
      );
      if (rows.length === 0) problems.push(`${name}: no lakeloop/${mode} result`);
      // Every Lakeloop row: the uncompressed scenario has three poll arms (variants).
      for (const row of rows) {
        const label = `${name} lakeloop/${mode}${row.variant ? ` (${row.variant})` : ''}`;
        if (row.completed !== row.runs || row.failed !== 0)
          problems.push(`${label}: ${row.completed} of ${row.runs} completed, ${row.failed} failed`);
        else if (!row.workflowCache) problems.push(`${label}: no workflowCache figures`);
        else if (row.apiCallsByEndpoint['POST /api/2.2/jobs/runs/submit'] !== 1)
          problems.push(`${label}: expected exactly one runs/submit per run`);
      }
    }
  }
  // run.ts writes the table and chart next to the JSON, under its name.
  for (const extension of ['.md', '.svg']) {
    const written = file.replace(/\.json$/, extension);
    if (!existsSync(written) || readFileSync(written, 'utf8').length === 0)
      problems.push(`${written}: missing or empty`);
  }
}
if (problems.length > 0) {
  console.error(`bench report ${file}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`bench report ${file}: shape ok, every Lakeloop run completed, table and chart written`);

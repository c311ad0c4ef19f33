/**
 * What every system's emulator holds before the measured window, set through the control API (no
 * token, not counted in stats): the scenario rule that scripts the measured runs (one length for all,
 * or the drawn lengths one per run) and, when the arm asks for it, the job's earlier finished runs.
 */
import { control } from './emulator-process.js';
import { historyLengths, runLengths, type Scenario } from './scenarios.js';

/** The run every system submits: one-time (runs/submit), one notebook task, scripted by the rule. */
export const BENCH_RUN_NAME = 'bench';
export const BENCH_TASKS = [{ task_key: 'only', notebook_task: { notebook_path: '/bench' } }];

/** Earlier runs are a day apart, as a daily job's would be. */
const HISTORY_INTERVAL_MS = 24 * 3600 * 1000;

export async function prepareWorkspace(
  emulatorUrl: string,
  scenario: Scenario,
  options: { history: boolean },
): Promise<void> {
  const lengths = runLengths(scenario);
  await control(emulatorUrl, 'POST', '/scenarios', {
    match: { runName: BENCH_RUN_NAME },
    durationMs: scenario.durationMs,
    ...(lengths ? { durationsMs: lengths } : {}),
  });
  const history = historyLengths(scenario);
  if (options.history && history.length > 0) {
    await control(emulatorUrl, 'POST', '/runs/import', {
      runName: BENCH_RUN_NAME,
      tasks: BENCH_TASKS,
      durationsMs: history,
      intervalMs: HISTORY_INTERVAL_MS,
    });
  }
}

/**
 * The peer: Prefect 3 + prefect-databricks (pinned below) in a venv the bench creates under
 * .tools/venv-bench/ (git-, eslint- and prettier-ignored), running `bench/prefect_peer.py` — the
 * library's own `jobs_runs_submit_and_wait_for_completion` flow with its defaults (10 s polls) —
 * against a fresh emulator process with the same scenario rule as Lakeloop.
 */
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../scripts/lib/temporal-cli.js';
import type { ScenarioResult } from './output.js';
import { benchPeer, ensureVenv } from './peer.js';
import type { Scenario } from './scenarios.js';

export const PREFECT_REQUIREMENTS = ['prefect==3.9.1', 'prefect-databricks==0.4.2'];
const VENV = path.join(projectRoot, '.tools', 'venv-bench');
const PAT = 'dapi-bench-prefect';

export function ensurePrefectVenv(): Promise<string> {
  return ensureVenv(VENV, PREFECT_REQUIREMENTS);
}

export async function benchPrefect(python: string, scenario: Scenario): Promise<ScenarioResult> {
  const { result } = await benchPeer(
    python,
    {
      system: 'prefect',
      script: 'prefect_peer.py',
      pat: PAT,
      args: (emulatorUrl) => [new URL(emulatorUrl).host, PAT, String(scenario.runs), scenario.launch],
      env: () => ({
        PREFECT_HOME: path.join(os.tmpdir(), `lakeloop-bench-prefect-${process.pid}`),
        PREFECT_LOGGING_LEVEL: 'WARNING',
        PREFECT_SERVER_ANALYTICS_ENABLED: 'false',
      }),
    },
    scenario,
  );
  return result;
}

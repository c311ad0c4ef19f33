/**
 * The second peer: Apache Airflow 2.10 + its Databricks provider (pinned below) in a venv the bench
 * creates under .tools/venv-bench-airflow/, running `bench/airflow_peer.py` — the provider's own
 * `DatabricksSubmitRunOperator` with its defaults (30 s polls), deferrable (triggerer) or classic
 * (blocking worker slot) — against a fresh emulator process with the same scenario rule as Lakeloop.
 * No scheduler, executor or metadata DB: see bench/README.md for what the script stands in for.
 */
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../scripts/lib/temporal-cli.js';
import type { ScenarioResult } from './output.js';
import { PEER_TIMEOUT_MS, benchPeer, ensureVenv } from './peer.js';
import type { Scenario } from './scenarios.js';

export const AIRFLOW_REQUIREMENTS = ['apache-airflow==2.10.5', 'apache-airflow-providers-databricks==7.7.5'];
export const AIRFLOW_VARIANTS = ['deferrable', 'classic'] as const;
export type AirflowVariant = (typeof AIRFLOW_VARIANTS)[number];
const VENV = path.join(projectRoot, '.tools', 'venv-bench-airflow');
const PAT = 'dapi-bench-airflow';
/** The operator's default polling_period_seconds. */
const POLL_MS = 30_000;
/** Airflow's default [core] parallelism: the worker slots the peer runs tasks in. */
const WORKER_SLOTS = 32;

export function ensureAirflowVenv(): Promise<string> {
  return ensureVenv(VENV, AIRFLOW_REQUIREMENTS);
}

export function benchAirflow(
  python: string,
  scenario: Scenario,
  variant: AirflowVariant,
): Promise<{ result: ScenarioResult; notes: string[] }> {
  // Classic tasks hold a worker slot until their run ends, so they run in waves of WORKER_SLOTS: give
  // each wave its real run length plus a poll period on top of the usual limit.
  const realRunMs = scenario.durationMs / scenario.timeScale;
  const timeoutMs =
    variant === 'classic'
      ? PEER_TIMEOUT_MS + Math.ceil(scenario.runs / WORKER_SLOTS) * (realRunMs + POLL_MS)
      : PEER_TIMEOUT_MS;
  return benchPeer(
    python,
    {
      system: 'airflow',
      variant,
      script: 'airflow_peer.py',
      pat: PAT,
      timeoutMs,
      args: () => [String(scenario.runs), scenario.launch, variant],
      env: (emulatorUrl) => {
        const url = new URL(emulatorUrl);
        return {
          // A throwaway home: Airflow only creates empty log directories there (no airflow.cfg, no DB).
          AIRFLOW_HOME: path.join(os.tmpdir(), `lakeloop-bench-airflow-${process.pid}`),
          AIRFLOW__LOGGING__LOGGING_LEVEL: 'WARNING',
          // The operator's default databricks_conn_id, from the environment as a deployment may give
          // it. The provider builds `{schema or "https"}://host:port/api/...`, so schema http.
          AIRFLOW_CONN_DATABRICKS_DEFAULT: JSON.stringify({
            conn_type: 'databricks',
            host: url.hostname,
            port: Number(url.port),
            schema: url.protocol.replace(':', ''),
            password: PAT,
          }),
        };
      },
    },
    scenario,
  );
}

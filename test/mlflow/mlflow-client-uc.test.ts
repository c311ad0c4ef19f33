/**
 * MLflow's own Python client (pinned in test/mlflow/requirements.txt) against the emulator, pointed at
 * it as a Databricks user's code points it at a workspace: tracking_uri="databricks",
 * registry_uri="databricks-uc", DATABRICKS_HOST/DATABRICKS_TOKEN. test/mlflow/mlflow_client_uc.py logs
 * a run with a model directory, lists its artifacts, searches runs, registers the model in Unity
 * Catalog, sets "champion" and downloads models:/…@champion; here the result is checked again through
 * the Unity Catalog REST API and the emulator's request counts (which endpoints the client really used).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ensurePythonVenv, projectRoot } from '../../scripts/python-venv.js';
import { PAT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';

function runClient(
  python: string,
  host: string,
  schema: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      python,
      [path.join(projectRoot, 'test', 'mlflow', 'mlflow_client_uc.py'), schema],
      {
        cwd: projectRoot,
        timeout: 4 * 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DATABRICKS_HOST: host,
          DATABRICKS_TOKEN: PAT,
          // No telemetry or update checks from the client towards the internet.
          MLFLOW_DISABLE_TELEMETRY: 'true',
          DO_NOT_TRACK: 'true',
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? (child.exitCode ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("MLflow's Python client with tracking_uri=databricks and registry_uri=databricks-uc", () => {
  let emu: TestEmulator;
  let python: string;
  beforeAll(async () => {
    python = (await ensurePythonVenv({ quiet: true })).python;
    emu = await startTestEmulator({ mlflowArtifactMode: 'dbfs' });
  }, 10 * 60_000);
  afterAll(async () => {
    await emu?.close();
  });

  test(
    'logs, lists, searches, registers, sets champion and downloads models:/…@champion',
    async () => {
      const schema = `t${randomUUID().slice(0, 8)}`;
      const result = await runClient(python, emu.url, schema);
      if (result.code !== 0) console.error(result.stderr.slice(-6000));
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
      expect(summary).toMatchObject({ model: `main.${schema}.churn`, version: '1' });
      expect(summary.files).toEqual(expect.arrayContaining(['MLmodel', 'model.json']));
      expect(summary.source).toBe(
        `dbfs:/databricks/mlflow-tracking/${summary.experiment_id}/${summary.run_id}/artifacts/model`,
      );

      // The same model through the Unity Catalog REST API, as the Databricks SDKs read it.
      const byAlias = await emu.api('GET', `/api/2.1/unity-catalog/models/${summary.model}/aliases/champion`);
      expect(byAlias.status).toBe(200);
      expect(byAlias.body).toMatchObject({
        catalog_name: 'main',
        schema_name: schema,
        model_name: 'churn',
        version: 1,
        status: 'READY',
        run_id: summary.run_id,
      });
      const files = await emu.api('GET', `/api/2.0/fs/directories/Models/main/${schema}/churn/1`);
      expect(files.body.contents.map((c: any) => c.name).sort()).toEqual(['MLmodel', 'model.json']);

      // What the client used: the Files API for run artifacts, the UC registry, presigned model files.
      const stats = await emu.control<{ requests: Record<string, number> }>('GET', '/stats');
      const used = (prefix: string) =>
        Object.entries(stats.requests)
          .filter(([key]) => key.startsWith(prefix))
          .reduce((sum, [, n]) => sum + n, 0);
      expect(used('PUT /api/2.0/fs/files/WorkspaceInternal/Mlflow/Artifacts/')).toBe(2);
      expect(used('GET /api/2.0/fs/directories/WorkspaceInternal/Mlflow/Artifacts/')).toBeGreaterThan(0);
      expect(used('POST /api/2.0/mlflow/runs/search')).toBe(2);
      expect(used('POST /api/2.0/mlflow/unity-catalog/model-versions/create')).toBe(1);
      expect(used('POST /api/2.0/mlflow/unity-catalog/model-versions/finalize')).toBe(1);
      expect(used('POST /api/2.0/fs/create-upload-url')).toBe(2);
      expect(used('PUT /__signed/artifacts/models/')).toBe(2);
      expect(used('POST /api/2.0/mlflow/unity-catalog/registered-models/alias')).toBe(1);
      // The workspace registry's alias endpoint was never asked (a workspace has none).
      expect(used('POST /api/2.0/mlflow/registered-models/alias')).toBe(0);
    },
    5 * 60_000,
  );
});

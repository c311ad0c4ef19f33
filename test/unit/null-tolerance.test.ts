/**
 * `null` is "not set" in every Databricks response Lakeloop reads, not only the Jobs API's: the MLflow
 * and model-registry answers go through the same decode path (src/databricks/http.ts decodeResponse).
 */
import { describe, expect, test } from '@jest/globals';
import { decodeResponse } from '../../src/databricks/http.js';
import { withoutNulls } from '../../src/databricks/json.js';
import {
  getRunResponseSchema,
  listArtifactsResponseSchema,
  modelVersionResponseSchema,
} from '../../src/mlflow/schemas.js';

describe('null is "not set"', () => {
  test('withoutNulls drops null fields and null list elements, at any depth', () => {
    expect(withoutNulls({ a: null, b: [null, { c: null, d: 1 }], e: { f: null } })).toEqual({
      b: [{ d: 1 }],
      e: {},
    });
  });

  test('MLflow answers with explicit nulls parse', () => {
    const run = decodeResponse(
      JSON.stringify({
        run: {
          info: { run_id: 'abc', end_time: null, artifact_uri: null, lifecycle_stage: 'active' },
          data: {
            metrics: [{ key: 'auc', value: 0.8, timestamp: null, step: null }],
            params: null,
            tags: null,
          },
          inputs: null,
        },
      }),
      { schema: getRunResponseSchema },
      'GET /api/2.0/mlflow/runs/get',
    );
    expect(run.run.info.run_id).toBe('abc');
    expect(run.run.info.end_time).toBeUndefined();
    const listed = decodeResponse(
      '{"root_uri": null, "files": [{"path": "model", "is_dir": true, "file_size": null}], "next_page_token": null}',
      { schema: listArtifactsResponseSchema },
      'GET /api/2.0/mlflow/artifacts/list',
    );
    expect(listed.files?.[0]?.path).toBe('model');
    const version = decodeResponse(
      '{"model_version": {"name": "main.ml.churn", "version": "1", "aliases": null, "run_id": null, "status": "READY"}}',
      { schema: modelVersionResponseSchema },
      'GET /api/2.0/mlflow/unity-catalog/model-versions/get',
    );
    expect(version.model_version.version).toBe('1');
  });
});

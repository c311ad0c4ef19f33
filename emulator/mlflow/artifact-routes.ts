/**
 * The artifact proxy `mlflow server --serve-artifacts` provides: PUT uploads the request body as the
 * file, GET downloads it (streamed from disk). Paths are `<experiment_id>/<run_id>/artifacts/<path>`,
 * what a run's `mlflow-artifacts:/…` artifact_uri points at. Bodies are raw bytes, not JSON, so the
 * server skips JSON parsing under this prefix; uploads are bounded by the emulator's 10 MiB body limit.
 */
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import type { MlflowServices } from './mlflow-services.js';

export function registerArtifactRoutes(router: Router, mlflow: MlflowServices): void {
  router.api('PUT', '/mlflow-artifacts/artifacts/{artifact_path+}', ['2.0'], async (ctx) => {
    await mlflow.artifacts.write(ctx.params.artifact_path!, ctx.rawBody);
    return ok({});
  });

  router.api('GET', '/mlflow-artifacts/artifacts/{artifact_path+}', ['2.0'], async (ctx) => {
    const { stream, size } = await mlflow.artifacts.open(ctx.params.artifact_path!);
    return { status: 200, raw: { stream, size, contentType: 'application/octet-stream' } };
  });
}

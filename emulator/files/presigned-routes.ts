/**
 * Presigned URLs for Files API paths, the no-cloud way MLflow moves Unity Catalog model files when the
 * workspace keeps them in Databricks' default storage (generate-temporary-credentials answers
 * `storage_mode: DEFAULT_STORAGE`): `POST /api/2.0/fs/create-upload-url {path}` and
 * `POST /api/2.0/fs/create-download-url {path}` → `{url, headers: [{name, value}]}`, then a PUT or GET
 * of `url` with exactly those headers and no workspace token (mlflow/protos/
 * databricks_filesystem_service.proto; mlflow/store/artifact/presigned_url_artifact_repo.py). The
 * Databricks SDK's Files client asks create-download-url the same question with `path` (and
 * `expire_time`) in the query string (databricks-sdk-py mixins/files.py, `build_download_url`), so both
 * places are read. The URLs are the emulator's HMAC-signed ones (signed-urls.ts), bound to the method
 * and the stored file.
 */
import { z } from 'zod';
import { ok } from '../http/responses.js';
import type { RequestContext, Router } from '../http/router.js';
import { parseWith } from '../http/validation.js';
import type { ArtifactUrlSigner } from '../mlflow/signed-urls.js';
import { fileNotFound, resolveFsPath, type FilesContext } from './fs-paths.js';

export function registerPresignedRoutes(
  router: Router,
  files: FilesContext,
  signer: ArtifactUrlSigner,
  baseUrl: () => string,
): void {
  const input = (ctx: RequestContext) =>
    parseWith(z.object({ path: z.string().min(1) }), {
      path: (ctx.body.path as unknown) ?? ctx.query.get('path') ?? undefined,
    });

  router.api('POST', '/fs/create-upload-url', ['2.0'], (ctx) => {
    const { path } = input(ctx);
    const stored = resolveFsPath(files, ctx.principal, path, 'write');
    const signed = signer.sign(baseUrl(), 'PUT', stored);
    return ok({ url: signed.signed_uri, headers: signed.headers });
  });

  router.api('POST', '/fs/create-download-url', ['2.0'], async (ctx) => {
    const { path } = input(ctx);
    const stored = resolveFsPath(files, ctx.principal, path, 'read');
    const info = await files.artifacts.stat(stored);
    if (!info || info.isDirectory) throw fileNotFound('file', path);
    const signed = signer.sign(baseUrl(), 'GET', stored);
    return ok({ url: signed.signed_uri, headers: signed.headers });
  });
}

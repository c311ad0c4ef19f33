/**
 * The Files API (`/api/2.0/fs/files{path}` and `/api/2.0/fs/directories{path}`) over the paths
 * fs-paths.ts serves, as databricks-sdk-py's FilesAPI (service/files.py) calls it and as
 * shared/reference/databricks-api.md §5 describes it:
 *
 *  - PUT files (raw body, `?overwrite=`), answered 204 with no body; an existing file without
 *    overwrite=true is 409 ALREADY_EXISTS.
 *  - GET files: the bytes, with content-length, content-type and last-modified; HEAD: the same headers.
 *  - DELETE files.
 *  - GET directories: `{contents: [{path, name, is_directory, file_size, last_modified}],
 *    next_page_token}` (page_size ≤ 1000), 404 when the directory does not exist; HEAD: 200 or 404;
 *    PUT: create (idempotent); DELETE.
 *
 * A missing file or directory is 404 NOT_FOUND. MLflow decides whether a run path is a directory with
 * HEAD directories (databricks_sdk_artifact_repo.py `_is_dir`) and lists nothing when it answers 404,
 * which is why a run's listing came back empty before this was served.
 */
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { RequestContext, Router } from '../http/router.js';
import { flag, int64, parseWith } from '../http/validation.js';
import { page } from '../mlflow/mlflow-request.js';
import { fileNotFound, resolveFsPath, type FilesContext } from './fs-paths.js';

export const FILES_PREFIX = '/api/2.0/fs/files';
export const DIRECTORIES_PREFIX = '/api/2.0/fs/directories/';
const DIRECTORY_PAGE_MAX = 1000;

function fsPath(ctx: RequestContext, param: string): string {
  return `/${ctx.params[param]!}`;
}

export function registerFilesRoutes(router: Router, files: FilesContext): void {
  const { artifacts } = files;
  const V20 = ['2.0'] as const;

  router.api('PUT', '/fs/files/{file_path+}', V20, async (ctx) => {
    const path = fsPath(ctx, 'file_path');
    const stored = resolveFsPath(files, ctx.principal, path, 'write');
    const { overwrite } = parseWith(z.object({ overwrite: flag.optional() }), {
      overwrite: ctx.query.get('overwrite') ?? undefined,
    });
    const existing = await artifacts.stat(stored);
    if (existing?.isDirectory) throw new ApiError(409, 'ALREADY_EXISTS', `A directory exists at ${path}`);
    if (existing && overwrite !== true)
      throw new ApiError(409, 'ALREADY_EXISTS', `The file ${path} already exists.`);
    await artifacts.write(stored, ctx.rawBody);
    return { status: 204 };
  });

  const readFile = async (ctx: RequestContext, withBody: boolean) => {
    const path = fsPath(ctx, 'file_path');
    const stored = resolveFsPath(files, ctx.principal, path, 'read');
    const info = await artifacts.stat(stored);
    if (!info || info.isDirectory) throw fileNotFound('file', path);
    const headers = { 'last-modified': new Date(info.modifiedMs).toUTCString() };
    if (!withBody) {
      return {
        status: 200,
        headers: {
          ...headers,
          'content-length': String(info.size),
          'content-type': 'application/octet-stream',
        },
      };
    }
    const { stream, size } = await artifacts.open(stored);
    return { status: 200, headers, raw: { stream, size, contentType: 'application/octet-stream' } };
  };
  router.api('GET', '/fs/files/{file_path+}', V20, (ctx) => readFile(ctx, true));
  router.api('HEAD', '/fs/files/{file_path+}', V20, (ctx) => readFile(ctx, false));

  router.api('DELETE', '/fs/files/{file_path+}', V20, async (ctx) => {
    const path = fsPath(ctx, 'file_path');
    const stored = resolveFsPath(files, ctx.principal, path, 'write');
    const info = await artifacts.stat(stored);
    if (!info || info.isDirectory) throw fileNotFound('file', path);
    await artifacts.remove(stored);
    return { status: 204 };
  });

  router.api('GET', '/fs/directories/{directory_path+}', V20, async (ctx) => {
    const path = fsPath(ctx, 'directory_path');
    const stored = resolveFsPath(files, ctx.principal, path, 'read');
    const info = await artifacts.stat(stored);
    if (!info?.isDirectory) throw fileNotFound('directory', path);
    const params = parseWith(
      z.object({
        page_size: int64.pipe(z.number().int().min(0).max(DIRECTORY_PAGE_MAX)).optional(),
        page_token: z.string().optional(),
      }),
      {
        page_size: ctx.query.get('page_size') ?? undefined,
        page_token: ctx.query.get('page_token') ?? undefined,
      },
    );
    const entries = await artifacts.entries(stored);
    const { items, next_page_token } = page(
      entries,
      params.page_token,
      params.page_size || DIRECTORY_PAGE_MAX,
    );
    const base = path.replace(/\/+$/, '');
    return ok({
      contents: items.map((entry) => ({
        path: entry.isDirectory ? `${base}/${entry.name}/` : `${base}/${entry.name}`,
        name: entry.name,
        is_directory: entry.isDirectory,
        ...(entry.isDirectory ? {} : { file_size: entry.size }),
        last_modified: Math.floor(entry.modifiedMs),
      })),
      ...(next_page_token ? { next_page_token } : {}),
    });
  });

  router.api('HEAD', '/fs/directories/{directory_path+}', V20, async (ctx) => {
    const path = fsPath(ctx, 'directory_path');
    const info = await artifacts.stat(resolveFsPath(files, ctx.principal, path, 'read'));
    if (!info?.isDirectory) throw fileNotFound('directory', path);
    return { status: 200 };
  });

  router.api('PUT', '/fs/directories/{directory_path+}', V20, async (ctx) => {
    const path = fsPath(ctx, 'directory_path');
    const stored = resolveFsPath(files, ctx.principal, path, 'write');
    const info = await artifacts.stat(stored);
    if (info && !info.isDirectory) throw new ApiError(409, 'ALREADY_EXISTS', `A file exists at ${path}`);
    await artifacts.mkdir(stored);
    return { status: 204 };
  });

  router.api('DELETE', '/fs/directories/{directory_path+}', V20, async (ctx) => {
    const path = fsPath(ctx, 'directory_path');
    const stored = resolveFsPath(files, ctx.principal, path, 'write');
    const info = await artifacts.stat(stored);
    if (!info?.isDirectory) throw fileNotFound('directory', path);
    if ((await artifacts.entries(stored)).length > 0) {
      throw new ApiError(400, 'DIRECTORY_NOT_EMPTY', `The directory ${path} is not empty.`);
    }
    await artifacts.remove(stored);
    return { status: 204 };
  });
}

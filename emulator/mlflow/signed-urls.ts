/**
 * Databricks' signed-URL artifact flow, served in `--mlflow-artifact-mode dbfs` (reference §5):
 *
 *  - `POST /api/2.0/mlflow/artifacts/credentials-for-read` (and `-write`) with `{run_id, path: [..],
 *    page_token?}` → `{credential_infos: [{run_id, path, signed_uri, headers: [{name, value}], type:
 *    "AWS_PRESIGNED_URL"}], next_page_token?}`, 1,000 paths a page. The MLflow proto declares POST;
 *    GET with query parameters (`path` repeated) is accepted too, as some clients send it.
 *  - `GET` (read) or `PUT` (write) of the signed URL, `/__signed/artifacts/<exp>/<run>/artifacts/<path>
 *    ?expires=<unix s>&signature=<hex>`, like an S3 presigned URL: no bearer token. The signature is an
 *    HMAC-SHA256 (key random per emulator process) over the method, the stored path, `expires` and the
 *    one signed header the credential lists (`x-amz-expected-bucket-owner`), so a read URL cannot write,
 *    a URL cannot be moved to another file, and a client that drops the returned headers is refused.
 *
 * The storage side answers as S3 does, with XML errors: 403 `SignatureDoesNotMatch` (bad or tampered
 * signature, missing signed header), 403 `AccessDenied` "Request has expired", 404 `NoSuchKey`, and 400
 * `InvalidArgument` for a request that also carries an `Authorization` header — a bearer token is never
 * accepted as authentication there, and such requests are counted (stats `mlflowSignedUrls`).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { ApiError, invalidParameter } from '../http/api-error.js';
import type { ApiResponse } from '../http/responses.js';
import { ok } from '../http/responses.js';
import type { RequestContext, Router } from '../http/router.js';
import { page, parseMlflow, requiredString } from './mlflow-request.js';
import { MLFLOW_VERSIONS, runArtifactRoot, type MlflowServices } from './mlflow-services.js';

export const SIGNED_PREFIX = '/__signed/artifacts';
/** Paths answered per credentials request page. */
export const CREDENTIALS_PAGE = 1000;
const SIGNED_HEADER = 'x-amz-expected-bucket-owner';

export interface SignedUrlCounters {
  /** Requests to signed URLs. */
  requests: number;
  /** Refused for a bad, tampered or expired signature. */
  rejected: number;
  /** Carried an Authorization header (refused). */
  withAuthorization: number;
}

export class ArtifactUrlSigner {
  private readonly key = randomBytes(32);

  constructor(
    private readonly ttlSeconds: number,
    /** The signed header's value (the "bucket owner"): the workspace id. */
    private readonly owner: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A signed URL for `method` on the stored file `relative` (e.g. `1/abc/artifacts/model/m.json`). */
  sign(
    baseUrl: string,
    method: 'GET' | 'PUT',
    relative: string,
  ): { signed_uri: string; headers: { name: string; value: string }[] } {
    const expires = Math.floor(this.now() / 1000) + this.ttlSeconds;
    const signature = this.mac(method, relative, String(expires), this.owner);
    const path = relative.split('/').map(encodeURIComponent).join('/');
    return {
      signed_uri: `${baseUrl}${SIGNED_PREFIX}/${path}?expires=${expires}&signature=${signature}`,
      headers: [{ name: SIGNED_HEADER, value: this.owner }],
    };
  }

  /** Why the request is refused (S3's code and message), or undefined when the signature holds. */
  check(
    method: string,
    relative: string,
    query: URLSearchParams,
    signedHeader: string | undefined,
  ): { code: string; message: string } | undefined {
    const expires = query.get('expires');
    const signature = query.get('signature');
    if (!expires || !signature || !/^\d{1,12}$/.test(expires)) {
      return { code: 'AccessDenied', message: 'Query-string authentication requires expires and signature.' };
    }
    const expected = Buffer.from(this.mac(method, relative, expires, signedHeader ?? ''), 'hex');
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return {
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided.',
      };
    }
    if (this.now() >= Number(expires) * 1000) return { code: 'AccessDenied', message: 'Request has expired' };
    return undefined;
  }

  private mac(method: string, relative: string, expires: string, owner: string): string {
    return createHmac('sha256', this.key)
      .update(`${method}\n${relative}\n${expires}\n${SIGNED_HEADER}:${owner}`)
      .digest('hex');
  }
}

export function registerCredentialRoutes(
  router: Router,
  mlflow: MlflowServices,
  signer: ArtifactUrlSigner,
  baseUrl: () => string,
): void {
  const schema = z.object({
    run_id: requiredString,
    path: z.array(z.string()).min(1),
    page_token: z.string().optional(),
  });
  const handler = (access: 'read' | 'write') => (ctx: RequestContext) => {
    const input: Record<string, unknown> =
      ctx.method === 'GET'
        ? {
            run_id: ctx.query.get('run_id') ?? undefined,
            path: ctx.query.getAll('path'),
            page_token: ctx.query.get('page_token') ?? undefined,
          }
        : { ...ctx.body };
    // An empty list is a missing parameter, as MLflow words it.
    if (Array.isArray(input.path) && input.path.length === 0) delete input.path;
    const params = parseMlflow(schema, input);
    const run =
      access === 'write' ? mlflow.tracking.activeRun(params.run_id) : mlflow.tracking.getRun(params.run_id);
    const root = runArtifactRoot(run);
    const { items, next_page_token } = page(params.path, params.page_token, CREDENTIALS_PAGE);
    const method = access === 'read' ? 'GET' : 'PUT';
    const credential_infos = items.map((path) => {
      const cleaned = path.replace(/^\/+|\/+$/g, '');
      if (cleaned === '') throw invalidParameter(`Invalid artifact path: '${path}'`);
      const relative = `${root}/${cleaned}`;
      mlflow.artifacts.resolve(relative); // 400 for `..`, empty segments and the like
      return {
        run_id: run.run_id,
        path,
        ...signer.sign(baseUrl(), method, relative),
        type: 'AWS_PRESIGNED_URL',
      };
    });
    return ok({ credential_infos, ...(next_page_token ? { next_page_token } : {}) });
  };
  for (const access of ['read', 'write'] as const) {
    router.api('POST', `/mlflow/artifacts/credentials-for-${access}`, MLFLOW_VERSIONS, handler(access));
    router.api('GET', `/mlflow/artifacts/credentials-for-${access}`, MLFLOW_VERSIONS, handler(access));
  }
}

export function registerSignedUrlRoutes(
  router: Router,
  mlflow: MlflowServices,
  signer: ArtifactUrlSigner,
  counters: SignedUrlCounters,
): void {
  const handler = (method: 'GET' | 'PUT') => async (ctx: RequestContext) => {
    counters.requests++;
    if (ctx.headers.authorization !== undefined) {
      counters.withAuthorization++;
      return storageError(
        400,
        'InvalidArgument',
        'Only one auth mechanism allowed; the signature query parameters or the Authorization header, not both.',
      );
    }
    const relative = ctx.params.artifact_path!;
    const header = ctx.headers[SIGNED_HEADER];
    const refused = signer.check(method, relative, ctx.query, Array.isArray(header) ? header[0] : header);
    if (refused) {
      counters.rejected++;
      return storageError(403, refused.code, refused.message);
    }
    if (method === 'PUT') {
      await mlflow.artifacts.write(relative, ctx.rawBody);
      return { status: 200 };
    }
    try {
      const { stream, size } = await mlflow.artifacts.open(relative);
      return { status: 200, raw: { stream, size, contentType: 'application/octet-stream' } };
    } catch (error) {
      if (error instanceof ApiError && error.status === 404)
        return storageError(404, 'NoSuchKey', 'The specified key does not exist.');
      throw error;
    }
  };
  router.route('GET', `${SIGNED_PREFIX}/{artifact_path+}`, handler('GET'));
  router.route('PUT', `${SIGNED_PREFIX}/{artifact_path+}`, handler('PUT'));
}

/** An object store's error: XML `<Error><Code>…</Code><Message>…</Message></Error>`, as S3 sends. */
function storageError(status: number, code: string, message: string): ApiResponse {
  const xml = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  );
  return { status, raw: { stream: Readable.from([xml]), size: xml.length, contentType: 'application/xml' } };
}

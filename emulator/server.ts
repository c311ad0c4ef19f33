/**
 * startEmulator(): one local Databricks workspace on 127.0.0.1, in-process. The CLI (main.ts), the
 * tests and the benchmarks all start it through here.
 *
 * A request goes: a run page (GET `/`, `/jobs/{job_id}/runs/{run_id}`: HTML, no auth, see
 * pages/pages-routes.ts) — or — control API (/__emulator/…, no auth) — or — count it, authenticate
 * the bearer token (except public paths: host metadata, the OAuth server under /oidc, and the signed
 * artifact URLs under /__signed/, which check their own signature), apply an
 * injected fault (latency, error status, dropped response), route it, run the handler, and send (or,
 * under dropResponse, drop) the answer. Nothing a client sends can crash the process: every failure ends as
 * a Databricks-shaped error response, or an OAuth `{error, error_description}` at the token endpoint.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { authenticate } from './auth/bearer-auth.js';
import { IdentityDirectory } from './auth/identity-directory.js';
import { OAuthError, oauthErrorResponse } from './auth/oauth-error.js';
import { registerAccountOidcRoutes } from './auth/account-oidc-routes.js';
import { OIDC_PREFIX, registerOidcRoutes } from './auth/oidc-routes.js';
import { ServicePrincipalStore } from './auth/service-principals.js';
import { SubjectTokenVerifier } from './auth/subject-token.js';
import { TokenRegistry } from './auth/token-registry.js';
import { EmulatedClock } from './clock.js';
import { registerControlRoutes } from './control/control-routes.js';
import { registerIdentityControlRoutes } from './control/identity-routes.js';
import type { HttpFault } from './control/fault-registry.js';
import { FaultRegistry } from './control/fault-registry.js';
import { Stats } from './control/stats.js';
import { ApiError, defaultMessageForStatus, errorCodeForStatus } from './http/api-error.js';
import { readBody } from './http/body.js';
import type { RequestDialect } from './http/dialect.js';
import { Dialect } from './http/dialect.js';
import type { ApiResponse } from './http/responses.js';
import { errorResponse, ok, writeResponse } from './http/responses.js';
import type { RequestContext, RouteMatch } from './http/router.js';
import { Router } from './http/router.js';
import { registerJobsRoutes } from './jobs/jobs-routes.js';
import { DIRECTORIES_PREFIX, FILES_PREFIX, registerFilesRoutes } from './files/files-routes.js';
import { registerPresignedRoutes } from './files/presigned-routes.js';
import { registerArtifactRoutes } from './mlflow/artifact-routes.js';
import { ArtifactStore } from './mlflow/artifact-store.js';
import { ARTIFACTS_PREFIX, type MlflowServices } from './mlflow/mlflow-services.js';
import { registerRegistryRoutes } from './mlflow/registry-routes.js';
import { registerLoggedModelRoutes } from './mlflow/logged-models.js';
import { registerRunSearchRoute } from './mlflow/run-search.js';
import {
  ArtifactUrlSigner,
  registerCredentialRoutes,
  registerSignedUrlRoutes,
  SIGNED_PREFIX,
} from './mlflow/signed-urls.js';
import { DBFS_ARTIFACT_BASE } from './mlflow/tracking-store.js';
import { registerTrackingRoutes } from './mlflow/tracking-routes.js';
import { registerUcRegistryRoutes } from './mlflow/uc-registry-routes.js';
import { registerCatalogRoutes } from './unity-catalog/catalog-routes.js';
import { PrivilegeChecker } from './unity-catalog/grants.js';
import { registerModelRoutes } from './unity-catalog/model-routes.js';
import type { UnityCatalogServices } from './unity-catalog/uc-services.js';
import { registerDestinationRoutes } from './notifications/destinations-routes.js';
import { WebhookDispatcher } from './notifications/webhook-dispatcher.js';
import { WebhookNotifier } from './notifications/webhook-notifier.js';
import type { EmulatorOptions } from './options.js';
import { isPagePath, registerPageRoutes } from './pages/pages-routes.js';
import { resolveOptions } from './options.js';
import { createRandom } from './random.js';
import { RunEngine } from './runs/run-engine.js';
import { registerRunsRoutes } from './runs/runs-routes.js';
import { Scheduler } from './scheduler.js';
import type { Services } from './services.js';
import { registerScimRoutes } from './scim/me-routes.js';
import { IdSequence } from './ids.js';
import { restoreSnapshot, resumedEmulatedNow, takeSnapshot } from './state/snapshot.js';
import { StateFile } from './state/state-file.js';
import { PythonTaskRunner } from './tasks/python-task.js';
import { Workspace } from './workspace.js';

export interface EmulatorHandle {
  /** http://127.0.0.1:PORT — what DATABRICKS_HOST should be. */
  url: string;
  port: number;
  workspaceId: string;
  /** The counters GET /__emulator/stats returns. */
  stats(): Record<string, unknown>;
  /** Stop serving, kill task processes, write the state file. */
  close(): Promise<void>;
}

/** Paths served without a token (the SDK probes host metadata before it authenticates). */
const PUBLIC_PATHS = new Set(['/.well-known/databricks-config']);
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

export async function startEmulator(input: EmulatorOptions): Promise<EmulatorHandle> {
  const options = resolveOptions(input);
  const log = options.log;
  const dialect = new Dialect(options.dialect);

  const snapshot = options.statePath ? StateFile.load(options.statePath) : undefined;
  const clock = new EmulatedClock(
    options.timeScale,
    Date.now,
    snapshot ? resumedEmulatedNow(snapshot, options.timeScale) : undefined,
  );
  // The PAT user is the workspace (and metastore) admin; service principals hold what they are granted.
  const workspace = new Workspace(options.principal);
  if (options.firstRunId !== undefined) workspace.runIds = new IdSequence(options.firstRunId);
  const dbfsArtifacts = options.mlflowArtifactMode === 'dbfs';
  // Restored experiments keep the artifact_location they were created with.
  if (dbfsArtifacts) workspace.mlflowTracking.setArtifactBase(DBFS_ARTIFACT_BASE);
  if (snapshot) restoreSnapshot(workspace, snapshot);

  const tokens = new TokenRegistry(Date.now, options.onTokenIssued);
  for (const pat of options.pats) tokens.registerStatic(pat, options.principal);
  const servicePrincipals = new ServicePrincipalStore(options.servicePrincipals);
  const directory = new IdentityDirectory(servicePrincipals);

  const stats = new Stats();
  const faults = new FaultRegistry(createRandom(options.seed));
  const scheduler = new Scheduler(clock, (error) =>
    log(`emulator: scheduled transition failed: ${describe(error)}`),
  );
  const python = new PythonTaskRunner();
  const dispatcher = new WebhookDispatcher(
    faults,
    stats.webhooks,
    { maxAttempts: options.webhookMaxAttempts, initialBackoffMs: options.webhookInitialBackoffMs },
    (message) => {
      if (options.verbose) log(`emulator: ${message}`);
    },
    (payload) => dialect.stringify(payload),
  );
  const notifier = new WebhookNotifier(workspace.destinations, workspace.jobs, dispatcher, {
    workspaceId: options.workspaceId,
    idFormat: options.webhookIdFormat,
    externalId: (id) => dialect.externalId(id),
  });
  const stateFile = options.statePath
    ? new StateFile(options.statePath, options.persistDebounceMs, () => takeSnapshot(workspace, clock), log)
    : undefined;
  const changed = (): void => stateFile?.markDirty();

  let baseUrl = '';
  const engine = new RunEngine({
    runs: workspace.runs,
    jobs: workspace.jobs,
    scheduler,
    clock,
    // A getter, not the sequence itself: restoring a snapshot replaces the sequence object.
    get runIds() {
      return workspace.runIds;
    },
    scenarios: workspace.scenarios,
    python,
    tokens,
    events: notifier,
    options,
    baseUrl: () => baseUrl,
    externalId: (id) => dialect.externalId(id),
    changed,
  });
  const services: Services = {
    workspace,
    engine,
    clock,
    options,
    view: () => ({ baseUrl, workspaceId: options.workspaceId, now: clock.now() }),
    changed,
  };

  const api = new Router();
  registerJobsRoutes(api, services);
  registerRunsRoutes(api, services);
  registerDestinationRoutes(api, services);
  registerScimRoutes(api, directory);
  const artifactRoot = resolveArtifactRoot(options.artifactRoot, options.statePath);
  const mlflow: MlflowServices = {
    tracking: workspace.mlflowTracking,
    registry: workspace.mlflowRegistry,
    artifacts: new ArtifactStore(artifactRoot.path),
    changed,
  };
  registerTrackingRoutes(api, mlflow, () => options.principal);
  registerRunSearchRoute(api, mlflow);
  registerLoggedModelRoutes(api, mlflow, () => options.principal);
  registerRegistryRoutes(api, mlflow);
  registerArtifactRoutes(api, mlflow);
  const unityCatalog: UnityCatalogServices = {
    store: workspace.unityCatalog,
    privileges: new PrivilegeChecker(new Set([options.principal])),
    enabled: options.modelRegistry === 'unity-catalog',
    changed,
  };
  registerCatalogRoutes(api, unityCatalog);
  registerModelRoutes(api, unityCatalog);
  registerUcRegistryRoutes(api, unityCatalog, workspace.mlflowTracking);
  const files = { tracking: workspace.mlflowTracking, uc: unityCatalog, artifacts: mlflow.artifacts };
  registerFilesRoutes(api, files);
  // Signed URLs serve Unity Catalog model files (presigned create-upload/download-url) in every mode,
  // and run artifacts through credentials-for-read/-write in dbfs mode.
  const signer = new ArtifactUrlSigner(options.mlflowSignedUrlTtlSeconds, options.workspaceId);
  registerPresignedRoutes(api, files, signer, () => baseUrl);
  registerSignedUrlRoutes(api, mlflow, signer, stats.signedUrls);
  if (dbfsArtifacts) registerCredentialRoutes(api, mlflow, signer, () => baseUrl);
  api.route('GET', '/.well-known/databricks-config', () =>
    ok({ oidc_endpoint: `${baseUrl}/oidc`, workspace_id: options.workspaceId }),
  );

  const pages = new Router();
  registerPageRoutes(pages, services);

  const oidc = new Router();
  registerOidcRoutes(oidc, {
    tokens,
    counters: stats.oauth,
    servicePrincipals,
    policies: options.federationPolicies,
    verifier: new SubjectTokenVerifier(),
    tokenTtlSeconds: options.tokenTtlSeconds,
    now: Date.now,
    baseUrl: () => baseUrl,
    advertiseIssuer: dialect.advertisesIssuer,
  });
  registerAccountOidcRoutes(oidc, { baseUrl: () => baseUrl, dialect: options.dialect });

  const control = new Router();
  registerIdentityControlRoutes(control, servicePrincipals, tokens);
  registerControlRoutes(control, {
    services,
    faults,
    stats,
    tokens,
    dispatcher,
    reset: () => {
      workspace.clear();
      faults.clear();
      stats.reset();
      tokens.clearIssued();
      servicePrincipals.restore();
      dispatcher.clearHistory();
      void python.killAll();
      changed();
    },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    let fault: HttpFault | undefined;
    let response: ApiResponse;
    let path = '/';
    let counted = false;
    // Until the URL is read, a dialect that changes nothing.
    let requestDialect: RequestDialect = dialect.forRequest(path);
    try {
      const url = parseUrl(req.url);
      path = url.pathname;
      requestDialect = dialect.forRequest(path);
      const isControl = path.startsWith('/__emulator/');
      const isPage = isPagePath(method, path);
      const raw = await readBody(req);
      if (isPage) {
        response = await dispatch(pages, {
          method,
          path,
          query: url.searchParams,
          raw,
          headers: req.headers,
          requestId,
          principal: '',
          isApi: false,
          json: false,
          // Page addresses carry the ids clients were given (int64-ids translates them back).
          dialect: requestDialect,
          hidden: false,
        });
      } else if (!isControl) {
        stats.countRequest(method, path);
        counted = true;
        const isOidc = path.startsWith(OIDC_PREFIX);
        // Signed artifact URLs carry their own authorization (the signature), never a bearer token.
        const isSigned = path.startsWith(`${SIGNED_PREFIX}/`);
        const principal =
          isOidc || isSigned || PUBLIC_PATHS.has(path) ? '' : authenticate(tokens, req.headers.authorization);
        fault = faults.matchHttp(method, path);
        if (fault?.latencyMs) await sleep(fault.latencyMs);
        if (fault?.status !== undefined) throw faultError(fault);
        const request = {
          method,
          path,
          query: url.searchParams,
          raw,
          headers: req.headers,
          requestId,
          dialect: requestDialect,
          hidden: dialect.hides(path),
        };
        response = isOidc
          ? await dispatch(oidc, { ...request, principal: '', isApi: false, json: false })
          : await dispatch(api, {
              ...request,
              principal,
              isApi: true,
              // Artifact uploads are raw bytes.
              json:
                !path.startsWith(`${ARTIFACTS_PREFIX}/`) && !path.startsWith(`${FILES_PREFIX}/`) && !isSigned,
            });
      } else {
        response = await dispatch(control, {
          method,
          path,
          query: url.searchParams,
          raw,
          headers: req.headers,
          requestId,
          principal: '',
          isApi: false,
          json: true,
          dialect: requestDialect,
          hidden: false,
        });
      }
    } catch (error) {
      response =
        error instanceof OAuthError
          ? oauthErrorResponse(error)
          : errorResponse(toApiError(error, log), requestId);
    }
    response = requestDialect.response(response);
    if (options.verbose)
      log(`${method} ${path} ${fault?.dropResponse ? 'dropped' : response.status} ${Date.now() - started}ms`);
    if (fault?.dropResponse) {
      // The work is done; the client never hears about it.
      response.raw?.stream.destroy();
      req.socket.destroy();
      return;
    }
    if (counted) stats.countResponse(response.status);
    // Workspaces name themselves on every answer; MLflow's UC client reads it to record which workspace
    // tracked a model version's run (rest_store.py, _get_workspace_id).
    if (counted && path.startsWith('/api/'))
      response.headers = { ...response.headers, 'x-databricks-org-id': options.workspaceId };
    try {
      writeResponse(res, response, requestId, (body) => dialect.stringify(body));
    } catch (error) {
      log(`emulator: could not write a response: ${describe(error)}`);
      res.destroy();
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  // Malformed HTTP (bad request line, oversized headers) never reaches `handle`; answer and move on.
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  engine.resume();

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    port,
    workspaceId: options.workspaceId,
    stats: () => stats.snapshot(workspace.runs, tokens),
    close: () => {
      closing ??= (async () => {
        engine.beginShutdown();
        scheduler.stop();
        dispatcher.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await python.stopAll();
        await stateFile?.flush();
        if (artifactRoot.temporary) rmSync(artifactRoot.path, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/** The MLflow artifact directory: given, next to the state file, or a temporary one (removed on close). */
function resolveArtifactRoot(
  given: string | undefined,
  statePath: string | undefined,
): { path: string; temporary: boolean } {
  if (given ?? statePath) {
    const dir = nodePath.resolve(given ?? `${statePath}.mlflow-artifacts`);
    mkdirSync(dir, { recursive: true });
    return { path: dir, temporary: false };
  }
  return { path: mkdtempSync(nodePath.join(tmpdir(), 'lakeloop-mlflow-artifacts-')), temporary: true };
}

interface DispatchRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  raw: Buffer;
  headers: IncomingHttpHeaders;
  principal: string;
  requestId: string;
  /** Name unknown endpoints without their /api/x.y prefix, as Databricks does. */
  isApi: boolean;
  /** Parse the body as a JSON object (everything but the form-encoded token endpoint). */
  json: boolean;
  /** How this request's parameters are read and its answer written (--dialect). */
  dialect: RequestDialect;
  /** The dialect's workspace does not serve this endpoint. */
  hidden: boolean;
}

async function dispatch(router: Router, request: DispatchRequest): Promise<ApiResponse> {
  const { method, path, query, raw, headers, principal, requestId, isApi, dialect } = request;
  // The Files API names directories with or without a trailing slash (its listings end them in "/").
  const routed = path.startsWith(DIRECTORIES_PREFIX) ? path.replace(/\/+$/, '') : path;
  const match: RouteMatch = request.hidden ? { kind: 'not-found' } : router.match(method, routed);
  if (match.kind === 'not-found') {
    // Databricks names the endpoint without its /api/x.y prefix: "No API found for 'GET /repos'".
    const shown = isApi ? path.replace(/^\/api\/[^/]+/, '') || '/' : path;
    throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `No API found for '${method} ${shown}'`);
  }
  if (match.kind === 'method-not-allowed') {
    throw new ApiError(
      405,
      'METHOD_NOT_ALLOWED',
      `Method ${method} is not allowed for ${path}; use ${match.allowed.join(' or ')}.`,
      { allow: match.allowed.join(', ') },
    );
  }
  const ctx: RequestContext = {
    method,
    path,
    version: match.version,
    query: method === 'GET' && request.json ? dialect.getParameters(query, raw) : dialect.query(query),
    body: BODYLESS_METHODS.has(method) || !request.json ? {} : dialect.body(raw),
    rawBody: raw,
    headers,
    params: dialect.params(match.params),
    principal,
    requestId,
  };
  return match.handler(ctx);
}

function parseUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://127.0.0.1');
  } catch {
    throw new ApiError(400, 'BAD_REQUEST', 'The request URL could not be parsed.');
  }
}

function faultError(fault: HttpFault): ApiError {
  const status = fault.status!;
  return new ApiError(
    status,
    fault.errorCode ?? errorCodeForStatus(status),
    fault.message ?? defaultMessageForStatus(status),
    fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
  );
}

function toApiError(error: unknown, log: (line: string) => void): ApiError {
  if (error instanceof ApiError) return error;
  // Deliberately not "Unexpected error": the official SDKs retry on that phrase.
  log(`emulator: internal error: ${describe(error)}`);
  return new ApiError(500, 'INTERNAL_ERROR', 'The emulator failed to process the request.');
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

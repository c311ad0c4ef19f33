/**
 * Everything that configures one emulator instance, with the defaults the CLI and `startEmulator`
 * share. Durations here are *emulated* milliseconds unless the name says otherwise.
 */
import type { FederationPolicy } from './auth/federation-policy.js';
import { federationPolicySchema } from './auth/federation-policy.js';
import type { IssueListener } from './auth/token-registry.js';
import type { ServicePrincipalConfig } from './auth/service-principals.js';
import type { RunIdAttributeType } from './pages/temporal-link.js';
import { checkTemporalUiUrl } from './pages/temporal-link.js';

export interface EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /**
   * Personal access tokens accepted as `Authorization: Bearer <token>`. At least one credential source
   * is required: a PAT, a service principal or a federation policy.
   */
  pats: string[];
  /** Service principals that may use OAuth M2M (client credentials) at /oidc/v1/token. */
  servicePrincipals?: ServicePrincipalConfig[];
  /** Token federation policies for RFC 8693 exchange at /oidc/v1/token. */
  federationPolicies?: FederationPolicy[];
  /** Lifetime of issued OAuth access tokens in wall-clock seconds (default 3600, as Databricks). */
  tokenTtlSeconds?: number;
  /** In-process only: sees every token the emulator issues (for tests' secrets sweeps). */
  onTokenIssued?: IssueListener;
  /** The user every PAT authenticates as (creator_user_name, run_as_user_name). */
  principal?: string;
  /** Emulated time runs this many times faster than wall-clock time. */
  timeScale?: number;
  /** Persist the workspace to this JSON file (atomic, debounced) and resume from it on start. */
  statePath?: string;
  /** Shown in run_page_url (`?o=`), host metadata and webhook payloads. */
  workspaceId?: string;
  /** How long a task without a matching scenario rule takes, in emulated ms. */
  defaultTaskDurationMs?: number;
  /** Interpreter for local spark_python_task files. */
  python?: string;
  /** Keep at most this many bytes of a Python task's stdout/stderr (the tail), like Databricks' 5 MB. */
  maxLogBytes?: number;
  /**
   * The first run id handed out (default 500000000001). Tests sharing one Temporal server give each
   * emulator its own range, as real workspaces' ids do not collide: the webhook receiver's fallback
   * lookup by DatabricksRunId would otherwise find another test's workflow.
   */
  firstRunId?: number;
  /** Seed for fault probabilities, so a flaky-network test replays identically. */
  seed?: number;
  /** JSON type of run_id/job_id/workspace_id in webhook payloads (reference §4 marks this [U]). */
  webhookIdFormat?: 'string' | 'number';
  /**
   * life_cycle_state of a parent run whose tasks failed. Databricks documents TERMINATED; the
   * databricks/cli fake measured INTERNAL_ERROR on serverless (reference §1.5). Both are possible.
   */
  failedRunLifeCycle?: 'TERMINATED' | 'INTERNAL_ERROR';
  /** Webhook delivery attempts (first try included) and the backoff between them, in real ms. */
  webhookMaxAttempts?: number;
  webhookInitialBackoffMs?: number;
  /** Wait at least this long (real ms) after a change before writing the state file. */
  persistDebounceMs?: number;
  /**
   * Where MLflow artifacts are stored. Default: `<statePath>.mlflow-artifacts/` with a state file (so
   * artifacts survive a restart like the runs that own them), else a temporary directory removed on
   * close.
   */
  artifactRoot?: string;
  /**
   * Where runs' artifacts live, as seen by clients. `proxy` (default): `mlflow-artifacts:/<exp>/<run>/
   * artifacts`, bytes through the `/api/2.0/mlflow-artifacts/artifacts/…` proxy, as `mlflow server
   * --serve-artifacts`. `dbfs`: `dbfs:/databricks/mlflow-tracking/<exp>/<run>/artifacts`, bytes through
   * credentials-for-read/-write and HMAC-signed URLs, as a Databricks workspace.
   */
  mlflowArtifactMode?: 'proxy' | 'dbfs';
  /** Lifetime of the signed URLs handed out in `dbfs` mode, in wall-clock seconds (default 900). */
  mlflowSignedUrlTtlSeconds?: number;
  /**
   * Answer the way other real workspaces, proxies and Databricks-compatible servers do, where they
   * differ from Databricks' usual answers (see DIALECT_FLAGS). Empty (the default): Databricks' usual
   * shapes. Clients must work under every combination.
   */
  dialect?: DialectFlag[];
  /**
   * The Temporal Web UI of the namespace Lakeloop's workers use, e.g.
   * `http://127.0.0.1:8233/namespaces/default`. Run pages then link to the workflows whose
   * `DatabricksRunId` search attribute is the run's id. Without it, run pages say how to get the link.
   */
  temporalUiUrl?: string;
  /**
   * How that namespace registers `DatabricksRunId` (default `Keyword`, holding the decimal id): the
   * visibility query's literal differs (`DatabricksRunId="123"` or `DatabricksRunId=123`).
   */
  temporalRunIdType?: RunIdAttributeType;
  /**
   * Which model registry the workspace offers. `unity-catalog` (default, as new workspaces are): Models
   * in Unity Catalog next to the legacy workspace registry. `workspace`: a workspace without Unity
   * Catalog, whose Unity Catalog endpoints answer METASTORE_DOES_NOT_EXIST; only the workspace
   * registry (stages, no aliases) is there.
   */
  modelRegistry?: ModelRegistryMode;
  /** Print one line per API request (method, path, status; never headers). */
  verbose?: boolean;
  /** Where log lines go; defaults to stderr. */
  log?: (line: string) => void;
}

/**
 * Compatibility-mode switches (`--dialect a,b`), each a documented difference of real workspaces from
 * Databricks' usual answers (shared/reference/real-workspaces.md):
 *  - `strict-nulls`: unset optional fields are sent as explicit `null` (`end_time: null` while running,
 *    `state.result_state: null`, `job_id: null` for a one-time run, `error: null` in get-output …);
 *  - `int64-ids`: job, run, task-run and repair ids are above 2^62, beyond what a JavaScript number
 *    holds exactly (the Jobs API types them int64);
 *  - `no-issuer`: OAuth discovery answers `token_endpoint` without `issuer`;
 *  - `no-repair`: `runs/repair` is not served (404 ENDPOINT_NOT_FOUND), as on a workspace or proxy
 *    without it;
 *  - `no-notifications`: the workspace has no notification destinations: their API is not served and
 *    jobs or runs that name one are refused ("Webhook with id '…' was not found.").
 * Implemented at the HTTP edge: http/dialect.ts.
 */
export const MODEL_REGISTRY_MODES = ['unity-catalog', 'workspace'] as const;
export type ModelRegistryMode = (typeof MODEL_REGISTRY_MODES)[number];

export const DIALECT_FLAGS = [
  'strict-nulls',
  'int64-ids',
  'no-issuer',
  'no-repair',
  'no-notifications',
] as const;
export type DialectFlag = (typeof DIALECT_FLAGS)[number];

/** Every flag of `--dialect all`: the most different workspace the emulator can be. */
export function parseDialect(text: string): DialectFlag[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 1 && names[0] === 'all') return [...DIALECT_FLAGS];
  const unknown = names.filter((name) => !(DIALECT_FLAGS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `--dialect expects a comma-separated list of ${DIALECT_FLAGS.join(', ')} (or "all")` +
        (unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''),
    );
  }
  return [...new Set(names as DialectFlag[])];
}

type OptionalSettings =
  'statePath' | 'seed' | 'onTokenIssued' | 'artifactRoot' | 'firstRunId' | 'temporalUiUrl';

export type ResolvedOptions = Required<Omit<EmulatorOptions, OptionalSettings>> &
  Pick<EmulatorOptions, OptionalSettings>;

export const DEFAULT_PRINCIPAL = 'emulator-user@localhost';
export const DEFAULT_WORKSPACE_ID = '1234567890123456';

export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const pats = options.pats.filter((pat) => pat.length > 0);
  const servicePrincipals = options.servicePrincipals ?? [];
  const federationPolicies = options.federationPolicies ?? [];
  if (pats.length === 0 && servicePrincipals.length === 0 && federationPolicies.length === 0) {
    throw new Error(
      'the emulator needs at least one credential source: pass --pat TOKEN, --pat-file FILE, ' +
        '--service-principal ID:SECRET or --federation-policy JSON',
    );
  }
  checkIdentities(servicePrincipals, federationPolicies);
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
  if (!Number.isInteger(tokenTtlSeconds) || tokenTtlSeconds < 1) {
    throw new Error('--token-ttl (tokenTtlSeconds) must be a whole number of seconds, at least 1');
  }
  const signedUrlTtl = options.mlflowSignedUrlTtlSeconds ?? 900;
  if (!Number.isInteger(signedUrlTtl) || signedUrlTtl < 1) {
    throw new Error('mlflowSignedUrlTtlSeconds must be a whole number of seconds, at least 1');
  }
  if (
    options.firstRunId !== undefined &&
    !(Number.isSafeInteger(options.firstRunId) && options.firstRunId >= 1)
  ) {
    throw new Error('firstRunId must be a whole number from 1 to 2^53 - 1');
  }
  const temporalRunIdType = options.temporalRunIdType ?? 'Keyword';
  if (temporalRunIdType !== 'Keyword' && temporalRunIdType !== 'Int') {
    throw new Error('--temporal-run-id-type (temporalRunIdType) must be Keyword or Int');
  }
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new Error('timeScale must be a positive number');
  return {
    port: options.port ?? 0,
    pats,
    servicePrincipals,
    federationPolicies,
    tokenTtlSeconds,
    onTokenIssued: options.onTokenIssued,
    principal: options.principal ?? DEFAULT_PRINCIPAL,
    timeScale,
    statePath: options.statePath,
    artifactRoot: options.artifactRoot,
    mlflowArtifactMode: options.mlflowArtifactMode ?? 'proxy',
    mlflowSignedUrlTtlSeconds: signedUrlTtl,
    workspaceId: options.workspaceId ?? DEFAULT_WORKSPACE_ID,
    defaultTaskDurationMs: options.defaultTaskDurationMs ?? 1000,
    python: options.python ?? 'python3',
    maxLogBytes: options.maxLogBytes ?? 5 * 1024 * 1024,
    seed: options.seed,
    firstRunId: options.firstRunId,
    webhookIdFormat: options.webhookIdFormat ?? 'string',
    failedRunLifeCycle: options.failedRunLifeCycle ?? 'TERMINATED',
    webhookMaxAttempts: options.webhookMaxAttempts ?? 5,
    webhookInitialBackoffMs: options.webhookInitialBackoffMs ?? 200,
    persistDebounceMs: options.persistDebounceMs ?? 250,
    dialect: checkDialect(options.dialect ?? []),
    temporalUiUrl:
      options.temporalUiUrl !== undefined ? checkTemporalUiUrl(options.temporalUiUrl) : undefined,
    temporalRunIdType,
    modelRegistry: checkModelRegistry(options.modelRegistry ?? 'unity-catalog'),
    verbose: options.verbose ?? false,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
}

function checkModelRegistry(mode: string): ModelRegistryMode {
  if (!(MODEL_REGISTRY_MODES as readonly string[]).includes(mode)) {
    throw new Error(`--model-registry must be ${MODEL_REGISTRY_MODES.join(' or ')}`);
  }
  return mode as ModelRegistryMode;
}

function checkDialect(flags: readonly string[]): DialectFlag[] {
  return flags.length === 0 ? [] : parseDialect(flags.join(','));
}

/** Distinct, usable service principals; every service-principal policy names one of them. */
function checkIdentities(
  servicePrincipals: readonly ServicePrincipalConfig[],
  policies: readonly FederationPolicy[],
): void {
  const ids = new Set<string>();
  for (const sp of servicePrincipals) {
    if (!sp.applicationId || !sp.secret) throw new Error('a service principal needs an id and a secret');
    if (ids.has(sp.applicationId)) throw new Error(`service principal ${sp.applicationId} is given twice`);
    ids.add(sp.applicationId);
  }
  for (const policy of policies) {
    // Policies given in process skip the CLI's parsing; hold them to the same rules.
    const parsed = federationPolicySchema.safeParse(policy);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`federation policy: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    if (policy.client_id !== undefined && !ids.has(policy.client_id)) {
      throw new Error(
        `federation policy for ${policy.issuer} names client_id ${policy.client_id}, which is not a --service-principal`,
      );
    }
  }
}

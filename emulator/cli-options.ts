/** `npm run emulator -- [flags]`: parsing the command line into EmulatorOptions. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseFederationPolicy } from './auth/federation-policy.js';
import type { ServicePrincipalConfig } from './auth/service-principals.js';
import { parseDialect, type EmulatorOptions } from './options.js';

export const USAGE = `Usage: npm run emulator -- --pat TOKEN [options]
       npm run emulator -- --service-principal ID:SECRET [options]

Credentials (at least one source):
  --pat TOKEN              accept this personal access token (repeatable)
  --pat-file FILE          accept every non-empty line of FILE as a token (keeps tokens out of ps)
  --service-principal ID:SECRET[:DISPLAY NAME]
                           a service principal for OAuth M2M at /oidc/v1/token (repeatable)
  --service-principal-file FILE
                           one ID:SECRET[:DISPLAY NAME] per non-empty line (keeps secrets out of ps)
  --federation-policy JSON a token federation policy (repeatable), e.g.
                           '{"issuer":"https://idp.example","audiences":["databricks"],
                             "subject":"worker","client_id":"SP-ID"}'
                           (also "subject_claim", default "sub"; "jwks_uri", default from discovery)
  --token-ttl SECONDS      lifetime of issued OAuth access tokens (default 3600)

Options:
  --port N                 port on 127.0.0.1 (default 0: any free port)
  --state FILE             persist the workspace to FILE and resume from it
  --artifact-root DIR      store MLflow artifacts in DIR (default FILE.mlflow-artifacts with --state,
                           else a temporary directory removed on exit)
  --mlflow-artifact-mode proxy|dbfs
                           run artifact URIs: mlflow-artifacts:/… through the artifact proxy (default,
                           like mlflow server), or dbfs:/databricks/mlflow-tracking/… through
                           credentials-for-read/-write signed URLs (like a workspace)
  --time-scale N           emulated time runs N times faster (default 1)
  --default-task-ms N      duration of a task without a scenario rule, emulated ms (default 1000)
  --workspace-id ID        workspace id in run URLs and webhook payloads
  --principal NAME         user the PATs authenticate as
  --python PATH            interpreter for local spark_python_task files (default python3)
  --max-log-bytes N        keep the last N bytes of a Python task's output (default 5 MiB)
  --webhook-ids string|number   JSON type of ids in webhook payloads (default string)
  --failed-run-state TERMINATED|INTERNAL_ERROR   life_cycle_state of failed runs (default TERMINATED)
  --dialect FLAGS          answer like other real workspaces: a comma-separated list of
                           strict-nulls (explicit nulls for unset fields), int64-ids (ids above
                           2^62), no-issuer (OAuth discovery without issuer), no-repair (runs/repair
                           not served), no-notifications (no notification destinations; settings
                           naming one are refused), or "all"
  --temporal-ui-url URL    the Temporal Web UI of the workers' namespace, e.g.
                           http://127.0.0.1:8233/namespaces/default: run pages link to the
                           workflows whose DatabricksRunId search attribute is the run id
  --temporal-run-id-type Keyword|Int
                           how that namespace registers DatabricksRunId (default Keyword)
  --model-registry unity-catalog|workspace
                           models in Unity Catalog and the workspace registry (default), or a
                           workspace without Unity Catalog (workspace registry only)
  --seed N                 seed for fault probabilities
  --first-run-id N         the first run id handed out (default 500000000001): emulators that
                           share one worker or webhook receiver need ranges of their own
  --verbose                log one line per request (never headers or tokens)
  --help                   show this text`;

export function parseCommandLine(argv: string[]): EmulatorOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      pat: { type: 'string', multiple: true },
      'pat-file': { type: 'string', multiple: true },
      'service-principal': { type: 'string', multiple: true },
      'service-principal-file': { type: 'string', multiple: true },
      'federation-policy': { type: 'string', multiple: true },
      'token-ttl': { type: 'string' },
      state: { type: 'string' },
      'artifact-root': { type: 'string' },
      'mlflow-artifact-mode': { type: 'string' },
      'time-scale': { type: 'string' },
      'default-task-ms': { type: 'string' },
      'workspace-id': { type: 'string' },
      principal: { type: 'string' },
      python: { type: 'string' },
      'max-log-bytes': { type: 'string' },
      'webhook-ids': { type: 'string' },
      'failed-run-state': { type: 'string' },
      seed: { type: 'string' },
      'first-run-id': { type: 'string' },
      dialect: { type: 'string' },
      'temporal-ui-url': { type: 'string' },
      'temporal-run-id-type': { type: 'string' },
      'model-registry': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';

  const pats = [...(values.pat ?? [])];
  for (const file of values['pat-file'] ?? []) pats.push(...nonEmptyLines(file));
  const servicePrincipals = (values['service-principal'] ?? []).map(parseServicePrincipal);
  for (const file of values['service-principal-file'] ?? []) {
    servicePrincipals.push(...nonEmptyLines(file).map(parseServicePrincipal));
  }
  const federationPolicies = (values['federation-policy'] ?? []).map(parseFederationPolicy);
  const webhookIds = values['webhook-ids'];
  if (webhookIds !== undefined && webhookIds !== 'string' && webhookIds !== 'number') {
    throw new Error('--webhook-ids must be "string" or "number"');
  }
  const failedRunState = values['failed-run-state'];
  if (
    failedRunState !== undefined &&
    failedRunState !== 'TERMINATED' &&
    failedRunState !== 'INTERNAL_ERROR'
  ) {
    throw new Error('--failed-run-state must be TERMINATED or INTERNAL_ERROR');
  }
  const artifactMode = values['mlflow-artifact-mode'];
  if (artifactMode !== undefined && artifactMode !== 'proxy' && artifactMode !== 'dbfs') {
    throw new Error('--mlflow-artifact-mode must be "proxy" or "dbfs"');
  }
  const runIdType = values['temporal-run-id-type'];
  if (runIdType !== undefined && runIdType !== 'Keyword' && runIdType !== 'Int') {
    throw new Error('--temporal-run-id-type must be Keyword or Int');
  }
  return {
    pats,
    ...(servicePrincipals.length > 0 ? { servicePrincipals } : {}),
    ...(federationPolicies.length > 0 ? { federationPolicies } : {}),
    ...optionalNumber('tokenTtlSeconds', values['token-ttl'], 'token-ttl'),
    ...optionalNumber('port', values.port),
    ...optionalNumber('timeScale', values['time-scale'], 'time-scale'),
    ...optionalNumber('defaultTaskDurationMs', values['default-task-ms'], 'default-task-ms'),
    ...optionalNumber('maxLogBytes', values['max-log-bytes'], 'max-log-bytes'),
    ...optionalNumber('seed', values.seed),
    ...optionalNumber('firstRunId', values['first-run-id'], 'first-run-id'),
    ...(values.state !== undefined ? { statePath: values.state } : {}),
    ...(values['artifact-root'] !== undefined ? { artifactRoot: values['artifact-root'] } : {}),
    ...(artifactMode !== undefined ? { mlflowArtifactMode: artifactMode } : {}),
    ...(values['workspace-id'] !== undefined ? { workspaceId: values['workspace-id'] } : {}),
    ...(values.principal !== undefined ? { principal: values.principal } : {}),
    ...(values.python !== undefined ? { python: values.python } : {}),
    ...(webhookIds !== undefined ? { webhookIdFormat: webhookIds } : {}),
    ...(failedRunState !== undefined ? { failedRunLifeCycle: failedRunState } : {}),
    ...(values.dialect !== undefined ? { dialect: parseDialect(values.dialect) } : {}),
    ...(values['temporal-ui-url'] !== undefined ? { temporalUiUrl: values['temporal-ui-url'] } : {}),
    ...(runIdType !== undefined ? { temporalRunIdType: runIdType } : {}),
    ...(values['model-registry'] !== undefined
      ? { modelRegistry: values['model-registry'] as EmulatorOptions['modelRegistry'] }
      : {}),
    ...(values.verbose ? { verbose: true } : {}),
  };
}

function optionalNumber<K extends string>(
  key: K,
  raw: string | undefined,
  flag: string = key,
): Partial<Record<K, number>> {
  if (raw === undefined) return {};
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw new Error(`--${flag} expects a number, got "${raw}"`);
  return { [key]: value } as Partial<Record<K, number>>;
}

function nonEmptyLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** `ID:SECRET` or `ID:SECRET:DISPLAY NAME`; the secret therefore cannot contain ":". */
function parseServicePrincipal(value: string): ServicePrincipalConfig {
  const [applicationId, secret, ...name] = value.split(':');
  if (!applicationId || !secret) {
    // Never repeat the value: it holds a secret.
    throw new Error('--service-principal expects ID:SECRET or ID:SECRET:DISPLAY NAME');
  }
  const displayName = name.join(':').trim();
  return { applicationId, secret, ...(displayName ? { displayName } : {}) };
}

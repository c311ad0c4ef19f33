import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { ConfigError, environmentWithStack, loadConfig } from '../src/config/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-config-'));
// Point envconfig at an empty profile file so the machine's ~/.config/temporalio/temporal.toml never leaks in.
const noProfile = path.join(tmp, 'temporal.toml');
writeFileSync(noProfile, '[profile.default]\n');
const base = { TEMPORAL_CONFIG_FILE: noProfile, DATABRICKS_CONFIG_FILE: path.join(tmp, 'no-databrickscfg') };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('defaults to the local dev server and the lakeloop task queue', () => {
    const config = loadConfig(base);
    expect(config.temporal.address).toBe('localhost:7233');
    expect(config.temporal.namespace).toBe('default');
    expect(config.worker).toMatchObject({
      taskQueue: 'lakeloop',
      logLevel: 'INFO',
      shutdownGraceSeconds: 30,
    });
    expect(config.worker).toMatchObject({
      databricksRequestsPerSecond: 20,
      databricksBurst: 40,
      webhookHost: '127.0.0.1',
    });
    expect(config.databricks).toBeUndefined();
  });

  test('reads TEMPORAL_* through envconfig and LAKELOOP_* through the schema', () => {
    const config = loadConfig({
      ...base,
      TEMPORAL_ADDRESS: '10.0.0.5:7233',
      TEMPORAL_NAMESPACE: 'ml-prod',
      LAKELOOP_TASK_QUEUE: 'nightly',
      LAKELOOP_LOG_LEVEL: 'debug',
      LAKELOOP_SHUTDOWN_GRACE_SECONDS: '5',
      LAKELOOP_MAX_CACHED_WORKFLOWS: '500',
    });
    expect(config.temporal).toMatchObject({ address: '10.0.0.5:7233', namespace: 'ml-prod' });
    expect(config.worker).toMatchObject({
      taskQueue: 'nightly',
      logLevel: 'DEBUG',
      shutdownGraceSeconds: 5,
      maxCachedWorkflows: 500,
    });
    expect(loadConfig({ ...base, LAKELOOP_MAX_CACHED_WORKFLOWS: '0' }).worker.maxCachedWorkflows).toBe(0);
    expect(loadConfig(base).worker.maxCachedWorkflows).toBeUndefined(); // the SDK's default
  });

  test('LAKELOOP_MODEL_REGISTRY: Unity Catalog by default, the workspace registry or open-source MLflow by choice', () => {
    expect(loadConfig(base).worker.modelRegistry).toBe('unity-catalog');
    expect(loadConfig({ ...base, LAKELOOP_MODEL_REGISTRY: 'Workspace' }).worker.modelRegistry).toBe(
      'workspace',
    );
    expect(loadConfig({ ...base, LAKELOOP_MODEL_REGISTRY: 'mlflow' }).worker.modelRegistry).toBe('mlflow');
    expect(problemsOf({ LAKELOOP_MODEL_REGISTRY: 'databricks-uc' })).toEqual([
      'LAKELOOP_MODEL_REGISTRY: expected one of unity-catalog, workspace, mlflow',
    ]);
  });

  test('LAKELOOP_REAPER_INTERVAL: 5 minutes by default, a duration from 1s to 1d, or off', () => {
    expect(loadConfig(base).worker.reaperInterval).toBe(300_000);
    expect(loadConfig({ ...base, LAKELOOP_REAPER_INTERVAL: '30s' }).worker.reaperInterval).toBe(30_000);
    expect(loadConfig({ ...base, LAKELOOP_REAPER_INTERVAL: '1d' }).worker.reaperInterval).toBe(86_400_000);
    expect(loadConfig({ ...base, LAKELOOP_REAPER_INTERVAL: 'OFF' }).worker.reaperInterval).toBe('off');
    for (const bad of ['500ms', '2d', '300', 'never', '-5m']) {
      expect(problemsOf({ LAKELOOP_REAPER_INTERVAL: bad })).toEqual([
        `LAKELOOP_REAPER_INTERVAL: expected a duration from 1s to 1d such as "5m", or "off" (got "${bad}")`,
      ]);
    }
  });

  test('LAKELOOP_MAX_CACHED_WORKFLOWS: 0 or at least 2 whole workflows', () => {
    expect(problemsOf({ LAKELOOP_MAX_CACHED_WORKFLOWS: '1' })).toEqual([
      "LAKELOOP_MAX_CACHED_WORKFLOWS: expected 0 (no cache) or at least 2 (the Temporal SDK's minimum)",
    ]);
    expect(problemsOf({ LAKELOOP_MAX_CACHED_WORKFLOWS: '-5' })[0]).toMatch(
      /expected 0 \(no cache\) or at least 2/,
    );
    expect(problemsOf({ LAKELOOP_MAX_CACHED_WORKFLOWS: '2.5' })[0]).toMatch(
      /expected a whole number of workflows/,
    );
    expect(problemsOf({ LAKELOOP_MAX_CACHED_WORKFLOWS: 'lots' })[0]).toMatch(
      /expected a number of workflows/,
    );
  });

  test('names every bad variable and what it expects, all at once', () => {
    const problems = problemsOf({
      LAKELOOP_TASK_QUEUE: 'has spaces',
      LAKELOOP_LOG_LEVEL: 'loud',
      LAKELOOP_SHUTDOWN_GRACE_SECONDS: '-1',
      TEMPORAL_ADDRESS: 'http://localhost',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^LAKELOOP_TASK_QUEUE: expected a task queue name/),
        expect.stringMatching(/^LAKELOOP_LOG_LEVEL: expected one of TRACE, DEBUG, INFO, WARN, ERROR/),
        expect.stringMatching(/^LAKELOOP_SHUTDOWN_GRACE_SECONDS: expected 0 or more seconds/),
        expect.stringMatching(/^TEMPORAL_ADDRESS: expected host:port/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  test('reads NAME_FILE for mounted values, and refuses NAME and NAME_FILE together', () => {
    const file = path.join(tmp, 'queue');
    writeFileSync(file, 'from-file\n');
    expect(loadConfig({ ...base, LAKELOOP_TASK_QUEUE_FILE: file }).worker.taskQueue).toBe('from-file');
    expect(problemsOf({ LAKELOOP_TASK_QUEUE_FILE: file, LAKELOOP_TASK_QUEUE: 'x' })).toEqual([
      'LAKELOOP_TASK_QUEUE and LAKELOOP_TASK_QUEUE_FILE are both set: set only one of them',
    ]);
    expect(problemsOf({ LAKELOOP_TASK_QUEUE_FILE: path.join(tmp, 'missing') })[0]).toMatch(
      /^LAKELOOP_TASK_QUEUE_FILE=.*missing: cannot read the file \(ENOENT\)$/,
    );
  });

  test('TEMPORAL_API_KEY_FILE: the API key from a mounted secret, which turns TLS on like the key itself', () => {
    const file = path.join(tmp, 'temporal-api-key');
    writeFileSync(file, 'tmprl-api-key-from-file\n');
    const { temporal } = loadConfig({
      ...base,
      TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233',
      TEMPORAL_API_KEY_FILE: file,
    });
    expect(temporal.connection.apiKey).toBe('tmprl-api-key-from-file');
    expect(temporal.connection.tls).toBeTruthy();
    expect(problemsOf({ TEMPORAL_API_KEY_FILE: file, TEMPORAL_API_KEY: 'x' })).toEqual([
      'TEMPORAL_API_KEY and TEMPORAL_API_KEY_FILE are both set: set only one of them',
    ]);
  });
});

describe('environmentWithStack', () => {
  test('fills in .lakeloop/stack.env underneath explicit variables', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-stackenv-'));
    const file = path.join(dir, 'stack.env');
    writeFileSync(file, '# comment\nTEMPORAL_ADDRESS=127.0.0.1:7999\nLAKELOOP_TASK_QUEUE="from-stack"\n');
    const env = environmentWithStack({ LAKELOOP_STACK_ENV: file, LAKELOOP_TASK_QUEUE: 'explicit' });
    expect(env.TEMPORAL_ADDRESS).toBe('127.0.0.1:7999');
    expect(env.LAKELOOP_TASK_QUEUE).toBe('explicit');
    expect(environmentWithStack({ LAKELOOP_STACK_ENV: 'off' }).TEMPORAL_ADDRESS).toBeUndefined();
  });
});

describe('webhook receiver settings', () => {
  test('a port without a password is refused, naming both variables', () => {
    expect(problemsOf({ LAKELOOP_WEBHOOK_PORT: '8787' })).toEqual([
      'LAKELOOP_WEBHOOK_PASSWORD: required when LAKELOOP_WEBHOOK_PORT is set (or LAKELOOP_WEBHOOK_PASSWORD_FILE)',
    ]);
    expect(problemsOf({ LAKELOOP_WEBHOOK_PORT: '8787', LAKELOOP_WEBHOOK_PASSWORD: 'short' })).toEqual([
      'LAKELOOP_WEBHOOK_PASSWORD: expected at least 16 characters (it guards the webhook endpoint)',
    ]);
    expect(problemsOf({ LAKELOOP_WEBHOOK_PORT: 'eighty' })[0]).toMatch(
      /^LAKELOOP_WEBHOOK_PORT: expected a port number/,
    );
  });
});

describe('metrics and log settings', () => {
  test('metrics endpoints are off and the log format follows the TTY by default', () => {
    const { worker } = loadConfig(base);
    expect(worker.metricsAddr).toBeUndefined();
    expect(worker.temporalMetricsAddr).toBeUndefined();
    expect(worker.logFormat).toBeUndefined();
  });

  test('reads the metrics addresses and the log format', () => {
    const { worker } = loadConfig({
      ...base,
      LAKELOOP_METRICS_ADDR: '0.0.0.0:9464',
      LAKELOOP_TEMPORAL_METRICS_ADDR: '[::1]:9465',
      LAKELOOP_LOG_FORMAT: 'PRETTY',
    });
    expect(worker).toMatchObject({
      metricsAddr: '0.0.0.0:9464',
      temporalMetricsAddr: '[::1]:9465',
      logFormat: 'pretty',
    });
  });

  test('bad values name their variable', () => {
    expect(
      problemsOf({
        LAKELOOP_METRICS_ADDR: '9464',
        LAKELOOP_TEMPORAL_METRICS_ADDR: 'http://localhost:9465',
        LAKELOOP_LOG_FORMAT: 'xml',
      }),
    ).toEqual([
      'LAKELOOP_LOG_FORMAT: expected one of json, pretty',
      'LAKELOOP_METRICS_ADDR: expected host:port, e.g. 0.0.0.0:9464 or 127.0.0.1:9464',
      'LAKELOOP_TEMPORAL_METRICS_ADDR: expected host:port, e.g. 0.0.0.0:9464 or 127.0.0.1:9464',
    ]);
    expect(problemsOf({ LAKELOOP_METRICS_ADDR: 'localhost:70000' })).toEqual([
      'LAKELOOP_METRICS_ADDR: expected host:port, e.g. 0.0.0.0:9464 or 127.0.0.1:9464',
    ]);
    expect(
      problemsOf({ LAKELOOP_METRICS_ADDR: '0.0.0.0:9464', LAKELOOP_TEMPORAL_METRICS_ADDR: '0.0.0.0:9464' }),
    ).toEqual([
      'LAKELOOP_TEMPORAL_METRICS_ADDR: must differ from LAKELOOP_METRICS_ADDR (the Temporal runtime binds its own port)',
    ]);
  });
});

describe('worker deployment versioning settings', () => {
  test('unversioned unless both the deployment name and the build id are set', () => {
    expect(loadConfig(base).deployment).toBeUndefined();
    expect(
      loadConfig({ ...base, LAKELOOP_DEPLOYMENT_NAME: 'lakeloop', LAKELOOP_BUILD_ID: '2026.12.1' })
        .deployment,
    ).toEqual({
      deploymentName: 'lakeloop',
      buildId: '2026.12.1',
      defaultVersioningBehavior: 'auto-upgrade',
    });
  });

  test('LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR: auto-upgrade by default, or pinned', () => {
    const versioned = { ...base, LAKELOOP_DEPLOYMENT_NAME: 'lakeloop', LAKELOOP_BUILD_ID: 'b7' };
    for (const [value, behavior] of [
      ['pinned', 'pinned'],
      ['PINNED', 'pinned'],
      ['auto-upgrade', 'auto-upgrade'],
      ['AUTO_UPGRADE', 'auto-upgrade'],
    ] as const) {
      expect(
        loadConfig({ ...versioned, LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR: value }).deployment
          ?.defaultVersioningBehavior,
      ).toBe(behavior);
    }
    expect(problemsOf({ ...versioned, LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR: 'sticky' })).toEqual([
      'LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR: expected one of auto-upgrade, pinned',
    ]);
  });

  test('one without the other is refused, naming the missing variable', () => {
    expect(problemsOf({ LAKELOOP_DEPLOYMENT_NAME: 'lakeloop' })).toEqual([
      expect.stringMatching(/^LAKELOOP_BUILD_ID: required when LAKELOOP_DEPLOYMENT_NAME is set/),
    ]);
    expect(problemsOf({ LAKELOOP_BUILD_ID: 'b7' })).toEqual([
      expect.stringMatching(/^LAKELOOP_DEPLOYMENT_NAME: required when LAKELOOP_BUILD_ID is set/),
    ]);
    expect(problemsOf({ LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR: 'pinned' })).toEqual([
      expect.stringMatching(/^LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR: only applies to a versioned worker/),
    ]);
  });

  test("names Temporal's own limits on the version's fields", () => {
    expect(problemsOf({ LAKELOOP_DEPLOYMENT_NAME: 'lake.loop', LAKELOOP_BUILD_ID: 'b7' })).toEqual([
      'LAKELOOP_DEPLOYMENT_NAME: must not contain "." or ":" (Temporal refuses them)',
    ]);
    expect(problemsOf({ LAKELOOP_DEPLOYMENT_NAME: 'lakeloop', LAKELOOP_BUILD_ID: '__b7' })).toEqual([
      'LAKELOOP_BUILD_ID: must not start with "__" (reserved by Temporal)',
    ]);
    expect(problemsOf({ LAKELOOP_DEPLOYMENT_NAME: 'lakeloop', LAKELOOP_BUILD_ID: 'b'.repeat(481) })).toEqual([
      "LAKELOOP_BUILD_ID: expected at most 480 characters (Temporal's limit)",
    ]);
  });
});

/**
 * Workspace-style MLflow artifacts: the emulator in `--mlflow-artifact-mode dbfs` gives runs
 * `dbfs:/databricks/mlflow-tracking/…` URIs and serves bytes only through credentials-for-read/-write
 * and HMAC-signed URLs. train.py runs as a real spark_python_task and uploads its model that way; the
 * client and the listArtifacts activity read it back. The signed URL is a credential: it must never
 * reach an activity result or an error, and the workspace token must never be sent to it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { parseCommandLine } from '../../emulator/cli-options.js';
import { createActivities } from '../../src/activities/index.js';
import { toActivityFailure } from '../../src/activities/failures.js';
import { DatabricksApiError } from '../../src/databricks/errors.js';
import { streamSignedDownload } from '../../src/mlflow/artifact-transfer.js';
import { requireSignedUrlAccess } from '../../src/mlflow/artifact-uri.js';
import { MlflowClient } from '../../src/mlflow/client.js';
import { SignedArtifactUrl } from '../../src/mlflow/signed-url.js';
import { PAT, startTestEmulator, submit, waitForTerminal, type TestEmulator } from '../emulator/helpers.js';
import { testActivityDeps } from '../helpers/temporal.js';
import { databricksClientFor } from '../helpers/workspace.js';
import { DATA, JOBS, type TrainOutput } from './shared-suite.js';

const M = '/api/2.0/mlflow';
const MODEL = 'model/model.json';

interface SignedStats {
  requests: Record<string, number>;
  mlflowSignedUrls: { requests: number; rejected: number; withAuthorization: number };
}

/** Text that would betray a signed URL, whichever one it was. */
function expectNoSignedUrl(text: string, ...urls: string[]): void {
  expect(text).not.toMatch(/__signed|signature=|expires=/);
  for (const url of urls) {
    expect(text).not.toContain(url);
    expect(text).not.toContain(new URL(url).search);
  }
  expect(text).not.toContain(PAT);
}

/** Everything an error carries that could end up in a log or a workflow history. */
function errorText(err: unknown): string {
  const failure = toActivityFailure(err) as Error & { details?: unknown };
  return [
    String(err),
    (err as Error).stack ?? '',
    JSON.stringify(err),
    inspect(err, { depth: 5 }),
    failure.message,
    JSON.stringify(failure.details ?? null),
  ].join('\n');
}

async function rawCredentials(emu: TestEmulator, runId: string, paths: string[], pageToken?: string) {
  return emu.api('POST', `${M}/artifacts/credentials-for-read`, {
    run_id: runId,
    path: paths,
    ...(pageToken ? { page_token: pageToken } : {}),
  });
}

/** Bytes fetched independently of the client: raw credentials-for-read, then a plain GET. */
async function independentDownload(emu: TestEmulator, runId: string, file: string) {
  const info = (await rawCredentials(emu, runId, [file])).body.credential_infos[0];
  const headers = Object.fromEntries(info.headers.map((h: any) => [h.name, h.value]));
  const response = await fetch(info.signed_uri, { headers });
  expect(response.status).toBe(200);
  return { bytes: Buffer.from(await response.arrayBuffer()), signedUri: info.signed_uri as string };
}

describe('MLflow artifacts in dbfs mode (credentials-for-read and signed URLs)', () => {
  let emu: TestEmulator;
  let client: MlflowClient;
  let activities: ReturnType<typeof createActivities>;
  let trained: TrainOutput;

  beforeAll(async () => {
    emu = await startTestEmulator({ mlflowArtifactMode: 'dbfs' });
    const http = databricksClientFor(emu);
    client = new MlflowClient(http);
    activities = createActivities(testActivityDeps({ databricks: http }));
    const runId = await submit(emu, {
      run_name: 'dbfs-train',
      tasks: [
        {
          task_key: 'train',
          spark_python_task: {
            python_file: pathToFileURL(path.join(JOBS, 'train.py')).href,
            parameters: ['--data', DATA, '--experiment', 'churn-dbfs'],
          },
        },
      ],
    });
    const run = await waitForTerminal(emu, runId, 90_000);
    const output = (await emu.api('GET', `/api/2.1/jobs/runs/get-output?run_id=${run.tasks[0].run_id}`)).body;
    if (run.state.result_state !== 'SUCCESS')
      throw new Error(`train.py failed: ${JSON.stringify(output).slice(0, 4000)}`);
    trained = JSON.parse(output.notebook_output.result);
  }, 120_000);

  afterAll(async () => {
    await emu?.close();
  });

  test('train.py logs its model through the Files API, as MLflow 3 does; the run has a dbfs URI', async () => {
    const metrics = await activities.fetchRunMetrics(trained.mlflow_run_id);
    expect(metrics.status).toBe('FINISHED');
    expect(metrics.artifactUri).toMatch(
      new RegExp(`^dbfs:/databricks/mlflow-tracking/\\d+/${trained.mlflow_run_id}/artifacts$`),
    );
    const experiment = /mlflow-tracking\/(\d+)\//.exec(metrics.artifactUri!)![1];
    const stats = await emu.control<SignedStats>('GET', '/stats');
    const files = `PUT /api/2.0/fs/files/WorkspaceInternal/Mlflow/Artifacts/${experiment}/Runs/${trained.mlflow_run_id}/artifacts/model`;
    expect(stats.requests[`${files}/model.json`]).toBe(1);
    expect(stats.requests[`${files}/MLmodel`]).toBe(1);
    // The Files API worked, so the credentials-for-write fallback was not needed.
    expect(stats.requests[`POST ${M}/artifacts/credentials-for-write`]).toBeUndefined();
    // Nothing went through the mlflow-artifacts proxy, and no bearer token reached a signed URL.
    expect(Object.keys(stats.requests).filter((key) => key.includes('/mlflow-artifacts/'))).toEqual([]);
    expect(stats.mlflowSignedUrls.withAuthorization).toBe(0);
  });

  test('listArtifacts: path, size and sha256 equal an independent download; no signed URL in the result', async () => {
    const before = await emu.control<SignedStats>('GET', '/stats');
    const refs = await activities.listArtifacts(trained.mlflow_run_id);
    const after = await emu.control<SignedStats>('GET', '/stats');
    const { artifactUri } = await activities.fetchRunMetrics(trained.mlflow_run_id);

    const { bytes, signedUri } = await independentDownload(emu, trained.mlflow_run_id, MODEL);
    expect(refs.map((r) => r.path)).toEqual(['model/MLmodel', MODEL]);
    expect(refs[1]).toEqual({
      path: MODEL,
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      uri: `${artifactUri}/${MODEL}`,
    });
    expect(JSON.parse(bytes.toString('utf8')).feature_names).toContain('tenure_months');
    expect(await activities.listArtifacts(trained.mlflow_run_id, 'model')).toEqual(refs);
    expect(await activities.listArtifacts(trained.mlflow_run_id, 'nothing-here')).toEqual([]);
    expectNoSignedUrl(JSON.stringify(refs), signedUri);

    // The bytes of each file came through credentials-for-read (POST, as documented) and a signed GET
    // that carried no Authorization header — the emulator counts (and refuses) any that does.
    const key = `POST ${M}/artifacts/credentials-for-read`;
    expect(after.requests[key]! - (before.requests[key] ?? 0)).toBe(2);
    expect(after.mlflowSignedUrls.requests - before.mlflowSignedUrls.requests).toBe(2);
    expect(after.mlflowSignedUrls.withAuthorization).toBe(0);
    expect(after.mlflowSignedUrls.rejected).toBe(before.mlflowSignedUrls.rejected);
  });

  test('the download reference redacts itself; the signed URL refuses bearer tokens and tampering', async () => {
    const reference = await client.artifactDownloadReference(trained.mlflow_run_id, MODEL);
    expect(reference.path).toBe(MODEL);
    expect(reference.type).toBe('AWS_PRESIGNED_URL');
    expect(reference.signedUri).toContain('signature=');
    expectNoSignedUrl(
      [JSON.stringify(reference), inspect(reference), String(reference), JSON.stringify({ reference })].join(
        '\n',
      ),
      reference.signedUri,
    );

    // With the returned headers and nothing else, the URL works...
    const good = await fetch(reference.signedUri, { headers: { ...reference.headers } });
    expect(good.status).toBe(200);
    await good.arrayBuffer();
    // ...with our bearer token added it is refused and counted, never treated as authentication...
    const before = (await emu.control<SignedStats>('GET', '/stats')).mlflowSignedUrls;
    const withToken = await fetch(reference.signedUri, {
      headers: { ...reference.headers, authorization: `Bearer ${PAT}` },
    });
    expect(withToken.status).toBe(400);
    expect(await withToken.text()).toContain('InvalidArgument');
    const tokenOnly = new URL(reference.signedUri);
    tokenOnly.search = '';
    expect((await fetch(tokenOnly, { headers: { authorization: `Bearer ${PAT}` } })).status).toBe(400);
    const counted = (await emu.control<SignedStats>('GET', '/stats')).mlflowSignedUrls;
    expect(counted.withAuthorization - before.withAuthorization).toBe(2);
    // ...without the signed header, or unsigned, or as a PUT (a read URL cannot write), it is 403.
    expect((await fetch(reference.signedUri)).status).toBe(403);
    expect((await fetch(tokenOnly, { headers: { ...reference.headers } })).status).toBe(403);
    const put = await fetch(reference.signedUri, {
      method: 'PUT',
      headers: { ...reference.headers },
      body: 'x',
    });
    expect(put.status).toBe(403);

    // A tampered signature, and an expiry moved later, both fail the signature check: the client's error
    // reports the status and the store's code, never the URL or its query string.
    const url = new URL(reference.signedUri);
    const signature = url.searchParams.get('signature')!;
    const tamperedSignature = new URL(url);
    tamperedSignature.searchParams.set(
      'signature',
      `${signature[0] === '0' ? '1' : '0'}${signature.slice(1)}`,
    );
    const extended = new URL(url);
    extended.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    for (const tampered of [tamperedSignature.href, extended.href]) {
      const forged = new SignedArtifactUrl(
        trained.mlflow_run_id,
        MODEL,
        tampered,
        Object.entries(reference.headers).map(([name, value]) => ({ name, value })),
        reference.type,
      );
      const err = await streamSignedDownload(forged).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(err).toBeInstanceOf(DatabricksApiError);
      expect(err).toMatchObject({
        status: 403,
        kind: 'permission-denied',
        errorCode: 'SignatureDoesNotMatch',
        retryable: false,
      });
      expect((err as Error).message).toBe(
        `GET signed URL of artifact ${MODEL}: SignatureDoesNotMatch [HTTP 403]`,
      );
      expectNoSignedUrl(errorText(err), tampered, reference.signedUri);
    }
    // A URL that does not even parse: fetch's own message would quote it.
    const unparsable = new SignedArtifactUrl(
      trained.mlflow_run_id,
      MODEL,
      'http://[bad?signature=s3cr3t',
      [],
      'X',
    );
    const parseError = await streamSignedDownload(unparsable).catch((error: unknown) => error);
    expect(parseError).toMatchObject({ errorCode: 'NETWORK_ERROR' });
    expect(errorText(parseError)).not.toContain('s3cr3t');
  });

  test('credentials-for-read pages at 1,000 paths; POST and GET with query parameters both answer', async () => {
    const runId = trained.mlflow_run_id;
    const paths = Array.from({ length: 2500 }, (_, i) => `many/f${String(i).padStart(4, '0')}.bin`);
    const before = await emu.control<SignedStats>('GET', '/stats');
    const credentials = await client.readCredentials(runId, paths);
    const after = await emu.control<SignedStats>('GET', '/stats');
    const key = `POST ${M}/artifacts/credentials-for-read`;
    expect(after.requests[key]! - (before.requests[key] ?? 0)).toBe(3);
    expect(credentials.map((c) => c.path)).toEqual(paths);
    expect(new Set(credentials.map((c) => c.signedUri)).size).toBe(paths.length);

    const first = await rawCredentials(emu, runId, paths.slice(0, 1001));
    expect(first.body.credential_infos).toHaveLength(1000);
    expect(first.body.next_page_token).toEqual(expect.any(String));
    const second = await rawCredentials(emu, runId, paths.slice(0, 1001), first.body.next_page_token);
    expect(second.body.credential_infos.map((c: any) => c.path)).toEqual([paths[1000]]);
    expect(second.body.next_page_token).toBeUndefined();
    expect(second.body.credential_infos[0]).toEqual({
      run_id: runId,
      path: paths[1000],
      signed_uri: expect.stringMatching(/\/__signed\/artifacts\/.*\?expires=\d+&signature=[0-9a-f]{64}$/),
      headers: [{ name: 'x-amz-expected-bucket-owner', value: expect.any(String) }],
      type: 'AWS_PRESIGNED_URL',
    });

    const viaGet = await emu.api(
      'GET',
      `${M}/artifacts/credentials-for-read?run_id=${runId}&path=${encodeURIComponent(MODEL)}&path=other.txt`,
    );
    expect(viaGet.status).toBe(200);
    expect(viaGet.body.credential_infos.map((c: any) => c.path)).toEqual([MODEL, 'other.txt']);
    const fromGet = viaGet.body.credential_infos[0];
    const bytes = await fetch(fromGet.signed_uri, {
      headers: Object.fromEntries(fromGet.headers.map((h: any) => [h.name, h.value])),
    });
    expect(bytes.status).toBe(200);
    await bytes.arrayBuffer();
    // A missing file answers 404 NoSuchKey at the URL, as a store does; signing does not check.
    const other = viaGet.body.credential_infos[1];
    const missing = await fetch(other.signed_uri, {
      headers: Object.fromEntries(other.headers.map((h: any) => [h.name, h.value])),
    });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('NoSuchKey');

    // Errors are MLflow's; through the client a missing run stays not-found (not UNSUPPORTED_ARTIFACT_URI).
    expect((await rawCredentials(emu, '0'.repeat(32), [MODEL])).body.error_code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
    await expect(client.readCredentials('0'.repeat(32), [MODEL])).rejects.toMatchObject({
      kind: 'not-found',
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
    });
    const escape = await rawCredentials(emu, runId, ['../../etc/passwd']);
    expect(escape.status).toBe(400);
    const noPath = await rawCredentials(emu, runId, []);
    expect(noPath.status).toBe(400);
    expect(noPath.body.message).toContain("Missing value for required parameter 'path'");
    expect((await emu.api('GET', `${M}/artifacts/credentials-for-read?run_id=${runId}`)).status).toBe(400);
    expect((await emu.api('POST', `${M}/artifacts/credentials-for-read`, { path: [MODEL] })).status).toBe(
      400,
    );
    // credentials-for-read needs the bearer token like any API call.
    expect(
      (
        await emu.api(
          'POST',
          `${M}/artifacts/credentials-for-read`,
          { run_id: runId, path: [MODEL] },
          { token: null },
        )
      ).status,
    ).toBe(401);
  });
});

describe('expired signed URLs', () => {
  test('listArtifacts fails with 403 after one fresh retry, and the failure carries no URL', async () => {
    const artifactRoot = mkdtempSync(path.join(tmpdir(), 'dbfs-expired-'));
    const emu = await startTestEmulator({
      mlflowArtifactMode: 'dbfs',
      mlflowSignedUrlTtlSeconds: 1,
      artifactRoot,
    });
    try {
      const http = databricksClientFor(emu);
      const client = new MlflowClient(http);
      const activities = createActivities(testActivityDeps({ databricks: http }));
      const run = await client.createRun(await client.createExperiment('expiring'));
      // The client's own upload path: credentials-for-write and a signed PUT.
      await client.uploadArtifact(run.info.run_id, MODEL, Buffer.from('{"w":[1]}'));
      const ok = await activities.listArtifacts(run.info.run_id);
      expect(ok).toEqual([expect.objectContaining({ path: MODEL, sizeBytes: 9 })]);

      // Every signed GET now arrives after its URL (1 s lifetime) has expired.
      const signedPath = `/__signed/artifacts/${run.info.experiment_id}/${run.info.run_id}/artifacts/${MODEL}`;
      await emu.control('POST', '/faults', { method: 'GET', path: signedPath, latencyMs: 1100 });
      const before = await emu.control<SignedStats>('GET', '/stats');
      const failure = await activities.listArtifacts(run.info.run_id).then(
        () => undefined,
        (error: unknown) => error as Error & { type?: string; nonRetryable?: boolean },
      );
      const after = await emu.control<SignedStats>('GET', '/stats');
      expect(failure).toMatchObject({ type: 'DatabricksApiError:permission-denied', nonRetryable: true });
      expect(failure!.message).toBe(`GET signed URL of artifact ${MODEL}: AccessDenied [HTTP 403]`);
      expectNoSignedUrl(
        [
          failure!.message,
          failure!.stack ?? '',
          JSON.stringify(failure),
          inspect(failure, { depth: 5 }),
        ].join('\n'),
      );
      // Fetched fresh credentials once before giving up.
      const key = `POST ${M}/artifacts/credentials-for-read`;
      expect(after.requests[key]! - before.requests[key]!).toBe(2);
      expect(after.mlflowSignedUrls.rejected - before.mlflowSignedUrls.rejected).toBe(2);
    } finally {
      await emu.close();
      rmSync(artifactRoot, { recursive: true, force: true });
    }
  });
});

describe('artifact URIs nothing can serve', () => {
  test('a proxy-mode server without credentials-for-read, and local paths, are UNSUPPORTED_ARTIFACT_URI', async () => {
    const emu = await startTestEmulator();
    try {
      const client = new MlflowClient(databricksClientFor(emu));
      const experiment = (
        await emu.api('POST', `${M}/experiments/create`, {
          name: 'dbfs-on-oss',
          artifact_location: 'dbfs:/databricks/mlflow-tracking/77',
        })
      ).body.experiment_id;
      const run = await client.createRun(experiment);
      expect(run.info.artifact_uri).toBe(`dbfs:/databricks/mlflow-tracking/77/${run.info.run_id}/artifacts`);
      await expect(client.hashArtifact(run.info.run_id, MODEL)).rejects.toMatchObject({
        errorCode: 'UNSUPPORTED_ARTIFACT_URI',
        retryable: false,
      });
    } finally {
      await emu.close();
    }
    for (const local of ['/srv/mlruns/1/abc/artifacts', 'file:///srv/mlruns/1/abc/artifacts']) {
      expect(() => requireSignedUrlAccess(local)).toThrow(
        expect.objectContaining({ errorCode: 'UNSUPPORTED_ARTIFACT_URI' }),
      );
    }
    expect(() => requireSignedUrlAccess('s3://bucket/1/abc/artifacts')).not.toThrow();
  });

  test('the CLI flag selects the mode', () => {
    expect(parseCommandLine(['--pat', 'x', '--mlflow-artifact-mode', 'dbfs'])).toMatchObject({
      mlflowArtifactMode: 'dbfs',
    });
    expect(() => parseCommandLine(['--pat', 'x', '--mlflow-artifact-mode', 's3'])).toThrow(/proxy" or "dbfs/);
  });
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestEmulator } from './helpers.js';
import { startTestEmulator } from './helpers.js';

describe('errors and authentication', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });

  test.each(['2.0', '2.1', '2.2'])(
    'missing job and run are 400 INVALID_PARAMETER_VALUE with Databricks’ message (API %s)',
    async (v) => {
      expect((await emu.api('GET', `/api/${v}/jobs/get?job_id=123`)).body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'Job 123 does not exist.',
      });
      const run = await emu.api('GET', `/api/${v}/jobs/runs/get?run_id=123`);
      expect(run.status).toBe(400);
      expect(run.body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'Run 123 does not exist.',
      });
      expect((await emu.api('POST', `/api/${v}/jobs/run-now`, { job_id: 123 })).body.message).toBe(
        'Job 123 does not exist.',
      );
      expect((await emu.api('POST', `/api/${v}/jobs/runs/cancel`, { run_id: 123 })).body.message).toBe(
        'Run 123 does not exist.',
      );
    },
  );

  test('authentication: missing, unknown and malformed tokens are 401 UNAUTHENTICATED', async () => {
    const missing = await emu.api('GET', '/api/2.1/jobs/list', undefined, { token: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({
      error_code: 'UNAUTHENTICATED',
      message: 'Credential was not sent or was of an unsupported type for this API.',
    });
    const unknown = await emu.api('GET', '/api/2.1/jobs/list', undefined, { token: 'dapi-not-issued' });
    expect(unknown.body).toMatchObject({ error_code: 'UNAUTHENTICATED', message: 'Invalid access token.' });
    const basic = await fetch(`${emu.url}/api/2.1/jobs/list`, {
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect(basic.status).toBe(401);
    // Unknown endpoints are behind authentication too.
    expect((await emu.api('GET', '/api/2.1/nothing', undefined, { token: null })).status).toBe(401);
    // Host metadata is public, as the SDK reads it before it authenticates.
    const metadata = await emu.api('GET', '/.well-known/databricks-config', undefined, { token: null });
    expect(metadata.body).toEqual({ oidc_endpoint: `${emu.url}/oidc`, workspace_id: emu.handle.workspaceId });
  });

  test('unknown endpoint is 404 ENDPOINT_NOT_FOUND naming it; a wrong method is 405 with Allow', async () => {
    const missing = await emu.api('GET', '/api/2.1/jobs/runs/explode');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      error_code: 'ENDPOINT_NOT_FOUND',
      message: "No API found for 'GET /jobs/runs/explode'",
    });
    expect((await emu.api('GET', '/api/2.3/jobs/list')).status).toBe(404);
    const wrongMethod = await emu.api('DELETE', '/api/2.1/jobs/runs/get');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect(wrongMethod.body.error_code).toBe('METHOD_NOT_ALLOWED');
  });

  test('malformed JSON and wrong types are 400 MALFORMED_REQUEST naming the field; missing fields name it too', async () => {
    const broken = await emu.api('POST', '/api/2.1/jobs/create', '{"name": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error_code).toBe('MALFORMED_REQUEST');
    expect(broken.body.message).toMatch(/^Could not parse request object: /);
    const array = await emu.api('POST', '/api/2.1/jobs/create', '[1, 2]');
    expect(array.body.message).toBe('Invalid JSON given in the body of the request - expected a map');

    const wrongType = await emu.api('POST', '/api/2.1/jobs/run-now', { job_id: 1, notebook_params: 'a=b' });
    expect(wrongType.body).toMatchObject({
      error_code: 'MALFORMED_REQUEST',
      message: 'Could not parse request object: Expected object for field notebook_params, found STRING',
    });
    const nested = await emu.api('POST', '/api/2.1/jobs/create', {
      tasks: [{ task_key: 'a', depends_on: [{ task_key: 5 }] }],
    });
    expect(nested.body.message).toBe(
      'Could not parse request object: Expected string for field tasks[0].depends_on[0].task_key, found NUMBER',
    );
    const missing = await emu.api('POST', '/api/2.1/jobs/runs/cancel', {});
    expect(missing.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Missing required field: run_id',
    });
    const badQuery = await emu.api('GET', '/api/2.1/jobs/runs/get?run_id=abc');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.message).toContain('run_id');
    const badEnum = await emu.api('POST', '/api/2.1/jobs/create', {
      tasks: [{ task_key: 'a', run_if: 'SOMETIMES' }],
    });
    expect(badEnum.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(badEnum.body.message).toContain('tasks[0].run_if');
    // Nulls are absent fields (proto3 JSON), and int64 ids may come as strings.
    const nulls = await emu.api('POST', '/api/2.1/jobs/create', {
      name: null,
      tasks: [{ task_key: 'a', run_if: null }],
    });
    expect(nulls.status).toBe(200);
    const asString = await emu.api('GET', `/api/2.1/jobs/get?job_id=${nulls.body.job_id}`);
    expect(asString.body.settings.name).toBe('Untitled');
  });

  test('every error carries a request id in its details and header', async () => {
    const response = await emu.api('GET', '/api/2.1/jobs/runs/get?run_id=1');
    const requestId = response.headers.get('x-request-id');
    expect(response.body.details).toEqual([
      { '@type': 'type.googleapis.com/google.rpc.RequestInfo', request_id: requestId, serving_data: '' },
    ]);
  });
});

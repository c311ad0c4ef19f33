/**
 * The emulator's account-level OAuth server over real HTTP: the discovery document the Databricks
 * SDKs read on an account console (`/oidc/accounts/{account_id}/.well-known/oauth-authorization-server`),
 * the account token endpoint granting what the workspace's grants, 404 for another account, and the
 * `no-issuer` dialect.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ACCOUNT_ID } from '../../emulator/auth/account-oidc-routes.js';
import type { TestEmulator } from './helpers.js';
import { startTestEmulator } from './helpers.js';
import { ME } from './oauth-helpers.js';

const SP = '3d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d';
const SP_SECRET = 'dose-account-sp-secret-4b7e0c';
const WELL_KNOWN = '/.well-known/oauth-authorization-server';

function clientCredentials(url: string, secret = SP_SECRET): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${SP}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'all-apis' }),
  });
}

describe('emulator account-level OAuth server', () => {
  let emu: TestEmulator;
  let noIssuer: TestEmulator;
  const servicePrincipals = [{ applicationId: SP, secret: SP_SECRET }];

  beforeAll(async () => {
    emu = await startTestEmulator({ servicePrincipals });
    noIssuer = await startTestEmulator({ servicePrincipals, dialect: ['no-issuer'] });
  });
  afterAll(async () => {
    await Promise.all([emu?.close(), noIssuer?.close()]);
  });

  test("the account's discovery document names the account's token endpoint", async () => {
    const response = await fetch(`${emu.url}/oidc/accounts/${ACCOUNT_ID}${WELL_KNOWN}`);
    expect(response.status).toBe(200);
    const root = `${emu.url}/oidc/accounts/${ACCOUNT_ID}`;
    expect(await response.json()).toEqual({
      issuer: root,
      authorization_endpoint: `${root}/v1/authorize`,
      token_endpoint: `${root}/v1/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      grant_types_supported: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      response_types_supported: ['code'],
      scopes_supported: ['all-apis', 'offline_access'],
    });
  });

  test('the account token endpoint grants client credentials; the token works on the workspace', async () => {
    const before = (await emu.control<{ tokens: { issued: number } }>('GET', '/stats')).tokens.issued;
    const response = await clientCredentials(`${emu.url}/oidc/accounts/${ACCOUNT_ID}/v1/token`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; token_type: string; scope: string };
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'all-apis' });
    const me = await emu.api('GET', ME, undefined, { token: body.access_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userName: SP });
    expect((await emu.control<{ tokens: { issued: number } }>('GET', '/stats')).tokens.issued).toBe(
      before + 1,
    );

    // Refusals are the workspace endpoint's, OAuth-shaped.
    const refused = await clientCredentials(
      `${emu.url}/oidc/accounts/${ACCOUNT_ID}/v1/token`,
      'dose-wrong-account-secret',
    );
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
  });

  test('another account id is a 404 on both routes', async () => {
    const other = '00000000-0000-4000-8000-000000000000';
    const discovery = await fetch(`${emu.url}/oidc/accounts/${other}${WELL_KNOWN}`);
    expect(discovery.status).toBe(404);
    expect(await discovery.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    const token = await clientCredentials(`${emu.url}/oidc/accounts/${other}/v1/token`);
    expect(token.status).toBe(404);
  });

  test('the no-issuer dialect omits issuer from the account document too', async () => {
    const body = (await (
      await fetch(`${noIssuer.url}/oidc/accounts/${ACCOUNT_ID}${WELL_KNOWN}`)
    ).json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty('issuer');
    expect(body.token_endpoint).toBe(`${noIssuer.url}/oidc/accounts/${ACCOUNT_ID}/v1/token`);
  });
});

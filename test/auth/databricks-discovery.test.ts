/**
 * OAuth discovery as the Databricks SDKs do it, end to end: settings from environment variables,
 * createTokenProvider (openid-client for the token requests), DatabricksHttpClient and SCIM Me,
 * against the in-process emulator and a real OpenID provider as the company IdP. Odd discovery
 * documents come from a loopback "odd workspace" that forwards everything else to the emulator, so
 * every token is still the emulator's and every API call is still checked by it.
 *
 * What the SDKs do (databricks-sdk-go config/config.go getOidcEndpoints + resolveHostMetadata,
 * databricks-sdk-py config.py _resolve_host_metadata + oauth.py): DATABRICKS_DISCOVERY_URL, else the
 * discovery URL host metadata names, else `{host}/oidc/.well-known/oauth-authorization-server` (or
 * /oidc/accounts/{account_id}/… on an account console); only `token_endpoint` is read.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import * as oidc from 'openid-client';
import { ACCOUNT_ID } from '../../emulator/auth/account-oidc-routes.js';
import { AuthError, createTokenProvider } from '../../src/auth/index.js';
import type { DatabricksAuthSettings } from '../../src/config/databricks.js';
import { loadDatabricksSettings } from '../../src/config/databricks.js';
import { DatabricksHttpClient } from '../../src/databricks/http.js';
import { RequestBudget } from '../../src/databricks/request-budget.js';
import { getCurrentPrincipal } from '../../src/databricks/scim.js';
import type { TestEmulator } from '../emulator/helpers.js';
import { startTestEmulator } from '../emulator/helpers.js';
import { closedPort } from '../emulator/oauth-helpers.js';
import type { TestIdentityProvider } from '../helpers/identity-provider.js';
import { startTestIdentityProvider } from '../helpers/identity-provider.js';
import type { OddWorkspace, Routes } from '../helpers/odd-workspace.js';
import { startOddWorkspace } from '../helpers/odd-workspace.js';

const SP = '0a9d6c1e-7b3f-4e25-8d10-6f2e4a8b9c01';
const SP_SECRET = 'dose-discovery-m2m-secret-7c3e91a0b4';
const SP_FED = '1b8e5d2f-6c4a-4f36-9e21-7a3f5b9cad12';
const SP_FED_SECRET = 'dose-discovery-unused-fed-secret-52d8';

const WELL_KNOWN = '/.well-known/oauth-authorization-server';
const HOST_METADATA = '/.well-known/databricks-config';
const ME = 'GET /api/2.0/preview/scim/v2/Me';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-discovery-'));
const issuedByEmulator: string[] = [];
/** Every error and warning our code produced in this file, for the secrets sweep. */
const produced: string[] = [];

type Method = 'oauth-m2m' | 'oidc-federation';
const METHODS: Method[] = ['oauth-m2m', 'oidc-federation'];

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    produced.push((error as Error).message, inspect(error, { depth: 10, showHidden: true }));
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected a failure, got success');
}

describe('OAuth discovery the way the Databricks SDKs do it', () => {
  let idp: TestIdentityProvider;
  let emu: TestEmulator;
  const odd: OddWorkspace[] = [];

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    emu = await startTestEmulator({
      servicePrincipals: [
        { applicationId: SP, secret: SP_SECRET, displayName: 'Lakeloop worker' },
        { applicationId: SP_FED, secret: SP_FED_SECRET },
      ],
      federationPolicies: [
        { issuer: idp.issuer, audiences: [idp.audience], subject: idp.clientId, client_id: SP_FED },
      ],
      onTokenIssued: (token) => void issuedByEmulator.push(token),
    });
  });
  afterEach(async () => {
    await Promise.all(odd.splice(0).map((w) => w.close()));
  });
  afterAll(async () => {
    await Promise.all([emu?.close(), idp?.close()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  async function oddWorkspace(routes: Routes): Promise<OddWorkspace> {
    const workspace = await startOddWorkspace(emu.url, routes);
    odd.push(workspace);
    return workspace;
  }

  function settingsFor(method: Method, host: string, extra: Record<string, string> = {}) {
    const env: Record<string, string> =
      method === 'oauth-m2m'
        ? { DATABRICKS_CLIENT_ID: SP, DATABRICKS_CLIENT_SECRET: SP_SECRET }
        : {
            DATABRICKS_CLIENT_ID: SP_FED,
            LAKELOOP_OIDC_ISSUER: idp.issuer,
            LAKELOOP_OIDC_CLIENT_ID: idp.clientId,
            LAKELOOP_OIDC_CLIENT_SECRET: idp.clientSecret,
            LAKELOOP_OIDC_AUDIENCE: idp.audience,
          };
    const problems: string[] = [];
    const settings = loadDatabricksSettings(
      {
        DATABRICKS_CONFIG_FILE: path.join(tmp, 'no-databrickscfg'),
        DATABRICKS_HOST: host,
        ...env,
        ...extra,
      },
      problems,
    );
    expect(problems).toEqual([]);
    expect(settings?.authType).toBe(method);
    return settings!;
  }

  function client(settings: DatabricksAuthSettings) {
    const warnings: string[] = [];
    const provider = createTokenProvider(settings, {
      warn: (message) => {
        warnings.push(message);
        produced.push(message);
      },
    });
    const http = new DatabricksHttpClient({
      host: settings.host,
      tokens: provider,
      budget: new RequestBudget({ ratePerSecond: 10_000, burst: 10_000 }),
    });
    return { provider, http, warnings };
  }

  const expectedPrincipal = (method: Method) => (method === 'oauth-m2m' ? SP : SP_FED);

  async function emulatorRequests(): Promise<Record<string, number>> {
    return (await emu.control<{ requests: Record<string, number> }>('GET', '/stats')).requests;
  }

  describe.each(METHODS)('%s', (method) => {
    test('a discovery document without issuer, which openid-client discovery() refuses', async () => {
      const workspace = await oddWorkspace({
        [HOST_METADATA]: (self) => ({ body: { oidc_endpoint: `${self}/oidc`, workspace_id: '7' } }),
        [`/oidc${WELL_KNOWN}`]: (self) => ({ body: { token_endpoint: `${self}/oidc/v1/token` } }),
      });
      // The document really is one strict discovery rejects (openid-client wraps oauth4webapi's reason).
      const strict: unknown = await oidc
        .discovery(new URL(`${workspace.url}/oidc${WELL_KNOWN}`), 'any', undefined, undefined, {
          execute: [oidc.allowInsecureRequests],
        })
        .catch((error: unknown) => error);
      expect(strict).toMatchObject({ cause: { message: expect.stringMatching(/"issuer" property/) } });
      workspace.requests.length = 0;

      const { http, warnings } = client(settingsFor(method, workspace.url));
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: expectedPrincipal(method) });
      expect(workspace.requests).toEqual([
        `GET ${HOST_METADATA}`,
        `GET /oidc${WELL_KNOWN}`,
        'POST /oidc/v1/token',
        ME,
      ]);
      expect(warnings).toEqual([]);
    });

    test('an issuer of another form and a token endpoint on another path, without host metadata', async () => {
      const workspace = await oddWorkspace({
        [HOST_METADATA]: { status: 404, body: { error_code: 'ENDPOINT_NOT_FOUND', message: 'No API found' } },
        // The host itself as issuer (no /oidc), and the token endpoint somewhere else.
        [`/oidc${WELL_KNOWN}`]: (self) => ({
          body: { issuer: self, token_endpoint: `${self}/oauth2/v2/token` },
        }),
      });
      workspace.alias('/oauth2/v2/token', '/oidc/v1/token');
      const { http, warnings } = client(settingsFor(method, workspace.url));
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: expectedPrincipal(method) });
      expect(workspace.requests).toEqual([
        `GET ${HOST_METADATA}`,
        `GET /oidc${WELL_KNOWN}`,
        'POST /oauth2/v2/token',
        ME,
      ]);
      // Host metadata is best effort, as in the SDKs: a warning that says why, then the default URL.
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${workspace.url}${HOST_METADATA}: HTTP 404 (ENDPOINT_NOT_FOUND`);
      expect(warnings[0]).toContain(`${workspace.url}/oidc${WELL_KNOWN}`);
    });

    test('DATABRICKS_DISCOVERY_URL is fetched as is, and host metadata is not asked', async () => {
      const workspace = await oddWorkspace({
        '/tenant/custom-discovery': (self) => ({
          body: { issuer: 'https://login.example.com/databricks', token_endpoint: `${self}/tenant/token` },
        }),
      });
      workspace.alias('/tenant/token', '/oidc/v1/token');
      const { http } = client(
        settingsFor(method, workspace.url, {
          DATABRICKS_DISCOVERY_URL: `${workspace.url}/tenant/custom-discovery`,
        }),
      );
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: expectedPrincipal(method) });
      expect(workspace.requests).toEqual(['GET /tenant/custom-discovery', 'POST /tenant/token', ME]);
    });

    test('host metadata naming another OIDC root (trailing slash and all)', async () => {
      const workspace = await oddWorkspace({
        [HOST_METADATA]: (self) => ({ body: { oidc_endpoint: `${self}/region-7/oidc/` } }),
        [`/region-7/oidc${WELL_KNOWN}`]: (self) => ({
          body: { token_endpoint: `${self}/region-7/oidc/v1/token` },
        }),
      });
      workspace.alias('/region-7/oidc/v1/token', '/oidc/v1/token');
      const { http } = client(settingsFor(method, workspace.url));
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: expectedPrincipal(method) });
      expect(workspace.requests).toEqual([
        `GET ${HOST_METADATA}`,
        `GET /region-7/oidc${WELL_KNOWN}`,
        'POST /region-7/oidc/v1/token',
        ME,
      ]);
    });

    test("the account's OAuth server: host metadata with {account_id} and DATABRICKS_ACCOUNT_ID", async () => {
      const workspace = await oddWorkspace({
        [HOST_METADATA]: { body: { oidc_endpoint: `${emu.url}/oidc/accounts/{account_id}` } },
      });
      const before = await emulatorRequests();
      const { http } = client(settingsFor(method, workspace.url, { DATABRICKS_ACCOUNT_ID: ACCOUNT_ID }));
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: expectedPrincipal(method) });
      const after = await emulatorRequests();
      const accountDiscovery = `GET /oidc/accounts/${ACCOUNT_ID}${WELL_KNOWN}`;
      const accountToken = `POST /oidc/accounts/${ACCOUNT_ID}/v1/token`;
      expect((after[accountDiscovery] ?? 0) - (before[accountDiscovery] ?? 0)).toBe(1);
      expect((after[accountToken] ?? 0) - (before[accountToken] ?? 0)).toBe(1);
      expect(after['POST /oidc/v1/token']).toBe(before['POST /oidc/v1/token']);
    });

    test('a failed discovery (404) names the URL, where it came from, and is not retryable', async () => {
      const url = `${emu.url}/oidc/nowhere${WELL_KNOWN}`;
      const { provider, http } = client(settingsFor(method, emu.url, { DATABRICKS_DISCOVERY_URL: url }));
      const error = await failure(provider.getToken());
      expect(error).toMatchObject({ authType: method, code: 'discovery_http_status', retryable: false });
      expect(error.message).toContain(`GET ${url} (DATABRICKS_DISCOVERY_URL): HTTP 404 (ENDPOINT_NOT_FOUND`);
      expect(error.message).toContain('check DATABRICKS_DISCOVERY_URL');
      // Through the HTTP client the caller sees the same AuthError.
      expect(await failure(getCurrentPrincipal(http))).toMatchObject({ code: 'discovery_http_status' });
    });

    test('connection refused: retryable, naming the URL and that host metadata failed too', async () => {
      const host = `http://127.0.0.1:${await closedPort()}`;
      const { provider, warnings } = client(settingsFor(method, host));
      const error = await failure(provider.getToken());
      expect(error).toMatchObject({ authType: method, code: 'discovery_unreachable', retryable: true });
      expect(error.message).toContain(
        `GET ${host}/oidc${WELL_KNOWN} (the workspace default): connection refused`,
      );
      expect(error.message).toContain(
        `host metadata was not usable either (${host}${HOST_METADATA}: connection refused`,
      );
      expect(error.message).toContain('check DATABRICKS_HOST');
      expect(warnings).toHaveLength(1);
    });
  });

  describe('account-level discovery', () => {
    test('DATABRICKS_DISCOVERY_URL at the account document; the account token works on the workspace', async () => {
      const { http } = client(
        settingsFor('oauth-m2m', emu.url, {
          DATABRICKS_DISCOVERY_URL: `${emu.url}/oidc/accounts/${ACCOUNT_ID}${WELL_KNOWN}`,
        }),
      );
      const before = await emulatorRequests();
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: SP });
      const after = await emulatorRequests();
      const accountToken = `POST /oidc/accounts/${ACCOUNT_ID}/v1/token`;
      expect((after[accountToken] ?? 0) - (before[accountToken] ?? 0)).toBe(1);
    });

    test('the account id may come from host metadata itself', async () => {
      const workspace = await oddWorkspace({
        [HOST_METADATA]: {
          body: { oidc_endpoint: `${emu.url}/oidc/accounts/{account_id}`, account_id: ACCOUNT_ID },
        },
      });
      const { http, warnings } = client(settingsFor('oauth-m2m', workspace.url));
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: SP });
      expect(warnings).toEqual([]);
    });

    test('{account_id} with no account id anywhere: a warning, then the workspace default', async () => {
      const workspace = await oddWorkspace({
        [HOST_METADATA]: { body: { oidc_endpoint: `${emu.url}/oidc/accounts/{account_id}` } },
      });
      const { http, warnings } = client(settingsFor('oauth-m2m', workspace.url));
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: SP });
      expect(workspace.requests).toContain(`GET /oidc${WELL_KNOWN}`);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/\{account_id\}, and DATABRICKS_ACCOUNT_ID is not set/);
    });

    test('another account id: the 404 names the account URL', async () => {
      const other = '00000000-0000-4000-8000-000000000000';
      const workspace = await oddWorkspace({
        [HOST_METADATA]: { body: { oidc_endpoint: `${emu.url}/oidc/accounts/{account_id}` } },
      });
      const { provider } = client(settingsFor('oauth-m2m', workspace.url, { DATABRICKS_ACCOUNT_ID: other }));
      const error = await failure(provider.getToken());
      expect(error).toMatchObject({ code: 'discovery_http_status', retryable: false });
      expect(error.message).toContain(
        `GET ${emu.url}/oidc/accounts/${other}${WELL_KNOWN} (named by the host metadata`,
      );
      expect(error.message).toContain('HTTP 404 (RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('failed discovery', () => {
    test('a 503 is retryable, and the next attempt discovers again (a failure is not cached)', async () => {
      const { provider } = client(settingsFor('oauth-m2m', emu.url));
      await emu.control('POST', '/faults', {
        method: 'GET',
        path: `/oidc${WELL_KNOWN}`,
        status: 503,
        count: 1,
      });
      const error = await failure(provider.getToken());
      expect(error).toMatchObject({ code: 'discovery_http_status', retryable: true });
      expect(error.message).toContain(
        `${emu.url}/oidc${WELL_KNOWN} (named by the host metadata at ${emu.url}${HOST_METADATA}): HTTP 503`,
      );
      expect((await provider.getToken()).scopes).toEqual(['all-apis']);
    });

    test('an HTML page instead of JSON: not retryable, saying what came back', async () => {
      const workspace = await oddWorkspace({
        [HOST_METADATA]: { status: 404, body: 'not here', contentType: 'text/html' },
        [`/oidc${WELL_KNOWN}`]: {
          body: '<html><body>Sign in</body></html>',
          contentType: 'text/html; charset=utf-8',
        },
      });
      const { provider } = client(settingsFor('oidc-federation', workspace.url));
      const error = await failure(provider.getToken());
      expect(error).toMatchObject({
        authType: 'oidc-federation',
        code: 'discovery_not_json',
        retryable: false,
      });
      expect(error.message).toContain(
        `GET ${workspace.url}/oidc${WELL_KNOWN} (the workspace default): HTTP 200 but the body is not JSON (text/html`,
      );
      expect(error.message).toContain(`${workspace.url}${HOST_METADATA}: HTTP 404`);
    });

    test.each([
      [
        'no token_endpoint',
        { issuer: 'https://x.example/oidc', authorization_endpoint: 'https://x.example/a' },
        'the document has no token_endpoint',
      ],
      [
        'a relative token_endpoint',
        { token_endpoint: '/oidc/v1/token' },
        'token_endpoint is not an absolute URL',
      ],
      [
        'a plain-http token_endpoint off loopback',
        { token_endpoint: 'http://databricks.example/oidc/v1/token' },
        'is plain http on a host other than loopback',
      ],
    ])('%s: not retryable, naming the URL', async (_name, document, reason) => {
      const workspace = await oddWorkspace({
        [HOST_METADATA]: (self) => ({ body: { oidc_endpoint: `${self}/oidc` } }),
        [`/oidc${WELL_KNOWN}`]: { body: document },
      });
      const { provider } = client(settingsFor('oauth-m2m', workspace.url));
      const error = await failure(provider.getToken());
      expect(error).toMatchObject({ code: 'discovery_invalid', retryable: false });
      expect(error.message).toContain(`GET ${workspace.url}/oidc${WELL_KNOWN}`);
      expect(error.message).toContain(reason);
      expect(workspace.requests).not.toContain('POST /oidc/v1/token');
    });
  });

  // Declared last, so it runs after every test above has produced its errors and warnings.
  describe('secrets', () => {
    test('secrets sweep: no error or warning mentions a secret or an issued token', () => {
      const secrets = [SP_SECRET, SP_FED_SECRET, idp.clientSecret, ...issuedByEmulator, ...idp.issuedTokens];
      expect(issuedByEmulator.length).toBeGreaterThan(5);
      expect(idp.issuedTokens.length).toBeGreaterThan(2);
      expect(produced.length).toBeGreaterThan(10);
      for (const text of produced) {
        for (const secret of secrets) {
          if (text.includes(secret))
            throw new Error(`leaks a secret or token (${secret.length} chars): ${text}`);
        }
      }
    });
  });
});

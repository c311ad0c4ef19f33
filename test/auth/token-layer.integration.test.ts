/**
 * Our token layer end to end, with nothing mocked: settings from environment variables
 * (loadDatabricksSettings), createTokenProvider (openid-client underneath), DatabricksHttpClient and
 * SCIM Me, against the in-process emulator's OAuth server and a real OpenID provider as the company
 * IdP. Token counts come from the emulator's stats, never from timing.
 *
 * Every AuthError and DatabricksApiError the tests provoke is kept; the last test checks that none of
 * them mentions a secret or any token the emulator or the IdP issued.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import { AuthError, createTokenProvider } from '../../src/auth/index.js';
import type { TokenProvider } from '../../src/auth/index.js';
import type { DatabricksAuthSettings } from '../../src/config/databricks.js';
import { loadDatabricksSettings } from '../../src/config/databricks.js';
import { DatabricksApiError } from '../../src/databricks/errors.js';
import { DatabricksHttpClient } from '../../src/databricks/http.js';
import type { RequestEvent } from '../../src/databricks/http.js';
import { RequestBudget } from '../../src/databricks/request-budget.js';
import { getCurrentPrincipal } from '../../src/databricks/scim.js';
import type { TestEmulator } from '../emulator/helpers.js';
import { startTestEmulator } from '../emulator/helpers.js';
import type { TestIdentityProvider } from '../helpers/identity-provider.js';
import { startTestIdentityProvider } from '../helpers/identity-provider.js';

const SP = 'b7e1c0de-5a5a-4f00-8c1e-1a2b3c4d5e6f';
const SP_SECRET = 'dose0d9f8e7c6b5a4938271605f4e3d2c1b0a9';
const SP_FED = 'f3d1e2c3-0000-4abc-9def-0123456789ab';
const SP_FED_SECRET = 'dose-unused-federated-sp-secret-31b7';
const SP_OTHER = 'c0ffee00-1234-4321-8888-fedcba987654';
const SP_OTHER_SECRET = 'dose-unused-other-sp-secret-a9e2f0';
const WRONG_SECRET = 'dose-wrong-secret-4c1d9e0b7a';
const BAD_PAT = 'dapi-not-a-real-token-5e0c9a';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-token-layer-'));
const issuedByEmulators: string[] = [];
/** Every error our code produced in this file, for the secrets sweep. */
const produced: Error[] = [];

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    produced.push(error as Error);
    return error as Error;
  }
  throw new Error('expected a failure, got success');
}

function settingsFrom(env: Record<string, string>): DatabricksAuthSettings {
  const problems: string[] = [];
  const settings = loadDatabricksSettings(
    { DATABRICKS_CONFIG_FILE: path.join(tmp, 'no-databrickscfg'), ...env },
    problems,
  );
  expect(problems).toEqual([]);
  return settings!;
}

interface Client {
  provider: TokenProvider;
  http: DatabricksHttpClient;
  statuses: number[];
}

function client(settings: DatabricksAuthSettings, now?: () => number): Client {
  const provider = createTokenProvider(settings, now ? { now } : {});
  const statuses: number[] = [];
  const http = new DatabricksHttpClient({
    host: settings.host,
    tokens: provider,
    budget: new RequestBudget({ ratePerSecond: 10_000, burst: 10_000 }),
    onResponse: (event: RequestEvent) => statuses.push(event.status),
  });
  return { provider, http, statuses };
}

async function issued(emu: TestEmulator): Promise<number> {
  return (await emu.control<{ tokens: { issued: number } }>('GET', '/stats')).tokens.issued;
}

/** Every answer of the token endpoint, issued or refused. */
async function tokenRequests(emu: TestEmulator): Promise<number> {
  const stats = await emu.control<{ requests: Record<string, number> }>('GET', '/stats');
  return stats.requests['POST /oidc/v1/token'] ?? 0;
}

describe('token layer against the emulator and a real identity provider', () => {
  let idp: TestIdentityProvider;
  let emu: TestEmulator;
  /** Two-second tokens, for the refresh loop. */
  let fast: TestEmulator;
  /** Federation policies the IdP's tokens do not satisfy. */
  let strict: TestEmulator;

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    const onTokenIssued = (token: string) => void issuedByEmulators.push(token);
    const servicePrincipals = [
      { applicationId: SP, secret: SP_SECRET, displayName: 'Lakeloop worker' },
      { applicationId: SP_FED, secret: SP_FED_SECRET, displayName: 'Lakeloop federated worker' },
      { applicationId: SP_OTHER, secret: SP_OTHER_SECRET },
    ];
    emu = await startTestEmulator({
      servicePrincipals,
      federationPolicies: [
        { issuer: idp.issuer, audiences: [idp.audience], subject: idp.clientId, client_id: SP_FED },
        { issuer: idp.issuer, audiences: [idp.audience] },
      ],
      onTokenIssued,
    });
    fast = await startTestEmulator({ servicePrincipals, tokenTtlSeconds: 2, onTokenIssued });
    strict = await startTestEmulator({
      servicePrincipals,
      federationPolicies: [
        // The IdP's tokens are for idp.audience, not this one.
        {
          issuer: idp.issuer,
          audiences: ['https://another-audience.example'],
          subject: idp.clientId,
          client_id: SP_FED,
        },
        // Right audience, but another subject.
        { issuer: idp.issuer, audiences: [idp.audience], subject: 'batch-scheduler', client_id: SP_OTHER },
      ],
      onTokenIssued,
    });
  });
  afterAll(async () => {
    await Promise.all([emu?.close(), fast?.close(), strict?.close(), idp?.close()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  const m2m = (e: TestEmulator, secret = SP_SECRET) =>
    settingsFrom({ DATABRICKS_HOST: e.url, DATABRICKS_CLIENT_ID: SP, DATABRICKS_CLIENT_SECRET: secret });
  const federation = (e: TestEmulator, extra: Record<string, string> = {}) =>
    settingsFrom({
      DATABRICKS_HOST: e.url,
      LAKELOOP_OIDC_ISSUER: idp.issuer,
      LAKELOOP_OIDC_CLIENT_ID: idp.clientId,
      LAKELOOP_OIDC_CLIENT_SECRET: idp.clientSecret,
      LAKELOOP_OIDC_AUDIENCE: idp.audience,
      ...extra,
    });

  describe('oauth-m2m', () => {
    test('a token and a SCIM Me call that names the service principal', async () => {
      const settings = m2m(emu);
      expect(settings.authType).toBe('oauth-m2m');
      const { provider, http } = client(settings);
      const before = await issued(emu);
      const token = await provider.getToken();
      expect(token.scopes).toEqual(['all-apis']);
      expect(token.expiresAt - token.obtainedAt).toBe(3_600_000);
      expect(await getCurrentPrincipal(http)).toMatchObject({
        applicationId: SP,
        userName: SP,
        displayName: 'Lakeloop worker',
      });
      expect(await issued(emu)).toBe(before + 1);
      expect(provider.stats()).toEqual({ refreshes: 1, refreshFailures: 0 });
    });

    test('a wrong secret is a non-retryable invalid_client AuthError naming DATABRICKS_CLIENT_SECRET, never the secret', async () => {
      const { provider, http } = client(m2m(emu, WRONG_SECRET));
      const error = await failure(provider.getToken());
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ authType: 'oauth-m2m', code: 'invalid_client', retryable: false });
      expect(error.message).toContain('DATABRICKS_CLIENT_SECRET');
      expect(error.message).toContain(SP);
      expect(error.message).not.toContain(WRONG_SECRET);
      expect(error.message).not.toContain(SP_SECRET);
      // Through the HTTP client the caller sees the same AuthError, not an API error.
      const viaHttp = await failure(getCurrentPrincipal(http));
      expect(viaHttp).toBeInstanceOf(AuthError);
      expect((viaHttp as AuthError).code).toBe('invalid_client');
    });

    test('a deactivated service principal fails the same way, without retries', async () => {
      const local = await startTestEmulator({
        servicePrincipals: [{ applicationId: SP, secret: SP_SECRET }],
        onTokenIssued: (token) => void issuedByEmulators.push(token),
      });
      try {
        const { http } = client(m2m(local));
        await getCurrentPrincipal(http);
        await local.control('POST', `/service-principals/${SP}/revoke`);
        const error = await failure(getCurrentPrincipal(http));
        expect(error).toBeInstanceOf(AuthError);
        expect(error).toMatchObject({ code: 'invalid_client', retryable: false });
        expect(error.message).toMatch(/deactivated/);
      } finally {
        await local.close();
      }
    });
  });

  describe('oidc-federation', () => {
    test("the IdP's client credentials, exchanged for the policy's service principal", async () => {
      const settings = federation(emu, { DATABRICKS_CLIENT_ID: SP_FED });
      expect(settings.authType).toBe('oidc-federation');
      const { provider, http } = client(settings);
      const idpTokensBefore = idp.issuedTokens.length;
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: SP_FED });
      expect(idp.issuedTokens.length).toBe(idpTokensBefore + 1);
      // The exchanged token lives no longer than the IdP's (300 s).
      const token = await provider.getToken();
      expect(token.expiresAt - token.obtainedAt).toBeLessThanOrEqual(300_000);
    });

    test('an account-wide policy (no DATABRICKS_CLIENT_ID): the identity named by the JWT subject', async () => {
      const { http } = client(federation(emu));
      const principal = await getCurrentPrincipal(http);
      expect(principal.userName).toBe(idp.clientId);
      expect(principal.applicationId).toBeUndefined();
    });

    test('a policy with another audience: non-retryable AuthError naming the audience', async () => {
      const { provider } = client(federation(strict, { DATABRICKS_CLIENT_ID: SP_FED }));
      const error = await failure(provider.getToken());
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ authType: 'oidc-federation', code: 'invalid_grant', retryable: false });
      expect(error.message).toMatch(
        /audience \(https:\/\/databricks\.lakeloop\.test\/federation\) is not accepted/,
      );
      expect(error.message).toContain('federation policy');
    });

    test('a policy for another subject: non-retryable AuthError naming the subject', async () => {
      const { provider } = client(federation(strict, { DATABRICKS_CLIENT_ID: SP_OTHER }));
      const error = await failure(provider.getToken());
      expect(error).toMatchObject({ code: 'invalid_grant', retryable: false });
      expect(error.message).toMatch(new RegExp(`subject \\(sub: ${idp.clientId}\\) does not match`));
    });

    test('the file subject source: the JWT is read afresh on every exchange', async () => {
      const file = path.join(tmp, 'oidc-token');
      const now = Math.floor(Date.now() / 1000);
      writeFileSync(file, `${await idp.sign({ iat: now - 600, exp: now - 60 })}\n`);
      const settings = settingsFrom({
        DATABRICKS_HOST: emu.url,
        DATABRICKS_CLIENT_ID: SP_FED,
        DATABRICKS_OIDC_TOKEN_FILE: file,
      });
      expect(settings).toMatchObject({ authType: 'oidc-federation', subject: { kind: 'file', path: file } });
      const { provider, http } = client(settings);
      // Expired in the file: retryable (the mounter rotates it), refused locally before any exchange.
      const exchangesBefore = await tokenRequests(emu);
      const expired = await failure(provider.getToken());
      expect(expired).toMatchObject({ code: 'subject_token_expired', retryable: true });
      expect(expired.message).toMatch(/expired at .*waiting for it to be rotated/);
      expect(await tokenRequests(emu)).toBe(exchangesBefore);

      writeFileSync(file, `${await idp.issueToken()}\n`);
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: SP_FED });
      expect(await tokenRequests(emu)).toBe(exchangesBefore + 1); // rotated: exchanged once
    });
  });

  describe('refresh under load', () => {
    test('two-second tokens: ~8 s of requests all succeed while the token is refreshed ahead of expiry', async () => {
      const { provider, http, statuses } = client(m2m(fast));
      const before = await issued(fast);
      const deadline = Date.now() + 8_000;
      let succeeded = 0;
      const failed: Error[] = [];
      /** For each token replaced, how long it still had to live (client clock) when the next one came. */
      const leftAtSwitchMs: number[] = [];
      let current = await provider.getToken();
      while (Date.now() < deadline) {
        try {
          await getCurrentPrincipal(http);
          succeeded++;
        } catch (error) {
          failed.push(error as Error);
          produced.push(error as Error);
        }
        const next = await provider.getToken(); // the cached token: what the next request will use
        if (next.value !== current.value) leftAtSwitchMs.push(current.expiresAt - Date.now());
        current = next;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const refreshes = (await issued(fast)) - before;
      expect(failed).toEqual([]);
      expect(succeeded).toBeGreaterThan(20);
      // Eight seconds of two-second tokens: several refreshes, each one exactly one token.
      expect(refreshes).toBeGreaterThanOrEqual(4);
      expect(provider.stats()).toEqual({ refreshes, refreshFailures: 0 });
      // Refreshes happen ahead of expiry (at half-life, ~1 s left), not when the token has run out: the
      // median guards against one stalled event loop. A client that only reacted to 401s would also
      // see one per token.
      leftAtSwitchMs.sort((a, b) => a - b);
      expect(leftAtSwitchMs[Math.floor(leftAtSwitchMs.length / 2)]).toBeGreaterThan(250);
      const unauthorized = statuses.filter((s) => s === 401).length;
      expect(unauthorized).toBeLessThan(refreshes / 2);
    }, 30_000);

    test('200 concurrent calls without a usable token cause exactly one token request', async () => {
      // Nothing cached yet.
      const fresh = client(m2m(emu));
      let before = await issued(emu);
      const first = await Promise.all(Array.from({ length: 200 }, () => getCurrentPrincipal(fresh.http)));
      expect(first.every((p) => p.applicationId === SP)).toBe(true);
      expect((await issued(emu)) - before).toBe(1);

      // A cached token that has expired by the client's clock (the server still accepts it).
      let skewMs = 0;
      const clocked = client(m2m(emu), () => Date.now() + skewMs);
      await clocked.provider.getToken();
      skewMs = 3_601_000;
      before = await issued(emu);
      const second = await Promise.all(Array.from({ length: 200 }, () => getCurrentPrincipal(clocked.http)));
      expect(second).toHaveLength(200);
      expect((await issued(emu)) - before).toBe(1);
      expect(clocked.provider.stats().refreshes).toBe(2);
    });

    test('revoke-all mid-stream: one 401, one refresh, the request succeeds', async () => {
      const { http, statuses } = client(m2m(emu));
      for (let i = 0; i < 3; i++) await getCurrentPrincipal(http);
      const before = await issued(emu);
      await emu.control('POST', '/tokens/revoke-all');
      statuses.length = 0;
      expect(await getCurrentPrincipal(http)).toMatchObject({ applicationId: SP });
      expect(statuses).toEqual([401, 200]);
      expect((await issued(emu)) - before).toBe(1);
      for (let i = 0; i < 3; i++) await getCurrentPrincipal(http);
      expect((await issued(emu)) - before).toBe(1);
    });

    test('revoke-all under 50 concurrent requests: every one succeeds after one shared refresh', async () => {
      const { http, statuses } = client(m2m(emu));
      await getCurrentPrincipal(http);
      const before = await issued(emu);
      await emu.control('POST', '/tokens/revoke-all');
      statuses.length = 0;
      const results = await Promise.all(Array.from({ length: 50 }, () => getCurrentPrincipal(http)));
      expect(results.every((p) => p.applicationId === SP)).toBe(true);
      expect((await issued(emu)) - before).toBe(1);
      // Requests sent after the refresh never see a 401; each of the others sees exactly one.
      const unauthorized = statuses.filter((s) => s === 401).length;
      expect(unauthorized).toBeGreaterThanOrEqual(1);
      expect(unauthorized).toBeLessThanOrEqual(50);
      expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    });

    test('a second 401 in a row is an API error, after exactly one refresh', async () => {
      const { http } = client(m2m(emu));
      await getCurrentPrincipal(http);
      const before = await issued(emu);
      await emu.control('POST', '/faults', {
        method: 'GET',
        path: '/api/2.0/preview/scim/v2/Me',
        status: 401,
        count: 2,
      });
      const error = await failure(getCurrentPrincipal(http));
      expect(error).toBeInstanceOf(DatabricksApiError);
      expect(error).toMatchObject({ kind: 'unauthenticated', status: 401, retryable: false });
      expect((await issued(emu)) - before).toBe(1);
    });

    test('API errors from bad PATs and bad requests', async () => {
      const pat = client(settingsFrom({ DATABRICKS_HOST: emu.url, DATABRICKS_TOKEN: BAD_PAT }));
      const unauthenticated = await failure(getCurrentPrincipal(pat.http));
      expect(unauthenticated).toMatchObject({ kind: 'unauthenticated', status: 401 });
      const { http } = client(m2m(emu));
      const missing = await failure(
        http.request('GET', '/api/2.2/jobs/get', { query: { job_id: 987654321 }, schema: z.unknown() }),
      );
      expect(missing).toMatchObject({ kind: 'not-found', status: 400 });
    });
  });

  // Declared last, so it runs after every test above has produced its errors.
  describe('secrets', () => {
    test('secrets sweep: no error message mentions a secret or an issued token', () => {
      const secrets = [
        SP_SECRET,
        SP_FED_SECRET,
        SP_OTHER_SECRET,
        WRONG_SECRET,
        BAD_PAT,
        idp.clientSecret,
        ...issuedByEmulators,
        ...idp.issuedTokens,
      ];
      // Not vacuous: tokens were issued, and both kinds of error were produced.
      expect(issuedByEmulators.length).toBeGreaterThan(5);
      expect(idp.issuedTokens.length).toBeGreaterThan(2);
      expect(produced.some((e) => e instanceof AuthError)).toBe(true);
      expect(produced.some((e) => e instanceof DatabricksApiError)).toBe(true);
      for (const error of produced) {
        const rendered = [error.message, String(error), inspect(error, { depth: 10, showHidden: true })].join(
          '\n',
        );
        for (const secret of secrets) {
          if (rendered.includes(secret)) {
            throw new Error(`an error leaks a secret or token (${secret.length} chars): ${error.message}`);
          }
        }
      }
    });
  });
});

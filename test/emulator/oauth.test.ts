/**
 * The emulator's OAuth server over real HTTP: discovery, OAuth M2M (client credentials) and token
 * federation (RFC 8693) against a real OpenID provider, token expiry and revocation, and SCIM Me for
 * every kind of principal. Rejections are checked down to the OAuth error body, and no error
 * description may repeat the secret or token it was given.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { FederationPolicy } from '../../emulator/auth/federation-policy.js';
import type { TestIdentityProvider } from '../helpers/identity-provider.js';
import { startTestIdentityProvider } from '../helpers/identity-provider.js';
import type { TestEmulator } from './helpers.js';
import { startTestEmulator, waitFor } from './helpers.js';
import type { TokenResult } from './oauth-helpers.js';
import {
  JWT_TYPE,
  ME,
  TOKEN_EXCHANGE,
  closedPort,
  exchange,
  hs256Jwt,
  nowSeconds,
  tokenRequest,
  unsignedJwt,
} from './oauth-helpers.js';

const SP_M2M = '6c1f9d2e-0a4b-4c55-9e31-7f0d5a1b2c3d';
const SP_M2M_SECRET = 'dose-m2m-secret-0f3a9c';
const SP_FED = '9a8b7c6d-1111-4222-8333-944455556666';
const SP_FED_SECRET = 'dose-fed-secret-77ab21';
const UNREACHABLE_ISSUER = 'https://idp.unreachable.test';

const servicePrincipals = [
  { applicationId: SP_M2M, secret: SP_M2M_SECRET, displayName: 'Lakeloop worker' },
  { applicationId: SP_FED, secret: SP_FED_SECRET, displayName: 'Federated worker' },
];

/** Every rejection: the OAuth error body, and nothing of what was presented echoed back. */
function expectOAuthError(
  result: TokenResult,
  status: number,
  error: string,
  description: RegExp,
  secrets: string[] = [],
): void {
  expect({ status: result.status, error: result.body.error }).toEqual({ status, error });
  expect(result.body.error_description).toMatch(description);
  expect(Object.keys(result.body).sort()).toEqual(['error', 'error_description']);
  expect(result.headers.get('cache-control')).toBe('no-store');
  for (const secret of secrets) expect(JSON.stringify(result.body)).not.toContain(secret);
}

describe('emulator OAuth: discovery, M2M, federation, expiry', () => {
  let idp: TestIdentityProvider;
  let otherIdp: TestIdentityProvider;
  let emu: TestEmulator;
  let shortLived: TestEmulator;

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    otherIdp = await startTestIdentityProvider({ clientId: 'someone-elses-client' });
    const policies: FederationPolicy[] = [
      // Service-principal policy: only the worker's IdP client may act as SP_FED.
      { issuer: idp.issuer, audiences: [idp.audience], subject: idp.clientId, client_id: SP_FED },
      // Account-wide policy: any subject of this IdP, authenticated as itself.
      { issuer: idp.issuer, audiences: [idp.audience] },
      // An issuer whose keys cannot be fetched.
      {
        issuer: UNREACHABLE_ISSUER,
        audiences: [idp.audience],
        jwks_uri: `http://127.0.0.1:${await closedPort()}/jwks`,
      },
    ];
    emu = await startTestEmulator({ servicePrincipals, federationPolicies: policies });
    // No federation policy at all, and one-second tokens.
    shortLived = await startTestEmulator({ servicePrincipals, tokenTtlSeconds: 1 });
  });
  afterAll(async () => {
    await Promise.all([emu?.close(), shortLived?.close(), idp?.close(), otherIdp?.close()]);
  });

  const m2m = (e: TestEmulator, secret = SP_M2M_SECRET, id = SP_M2M) =>
    tokenRequest(e.url, { grant_type: 'client_credentials', scope: 'all-apis' }, { id, secret });
  const me = (e: TestEmulator, token: string) => e.api('GET', ME, undefined, { token });

  describe('discovery', () => {
    test('the authorization server metadata is public and names the token endpoint and grants', async () => {
      const response = await fetch(`${emu.url}/oidc/.well-known/oauth-authorization-server`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        issuer: `${emu.url}/oidc`,
        authorization_endpoint: `${emu.url}/oidc/v1/authorize`,
        token_endpoint: `${emu.url}/oidc/v1/token`,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        grant_types_supported: ['client_credentials', TOKEN_EXCHANGE],
        response_types_supported: ['code'],
        scopes_supported: ['all-apis', 'offline_access'],
      });
      const metadata = await emu.api('GET', '/.well-known/databricks-config', undefined, { token: null });
      expect(metadata.body.oidc_endpoint).toBe(`${emu.url}/oidc`);
    });
  });

  describe('OAuth M2M (client credentials)', () => {
    test('HTTP Basic: an all-apis bearer token that works on the API and names the service principal', async () => {
      const before = (await emu.control('GET', '/stats')).tokens;
      const result = await m2m(emu);
      expect(result.status).toBe(200);
      expect(result.headers.get('cache-control')).toBe('no-store');
      expect(result.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'all-apis',
      });
      const token = result.body.access_token as string;
      expect((await emu.api('GET', '/api/2.1/jobs/list', undefined, { token })).status).toBe(200);
      const created = await emu.api('POST', '/api/2.2/jobs/create', { name: 'by-sp' }, { token });
      const job = await emu.api('GET', `/api/2.2/jobs/get?job_id=${created.body.job_id}`);
      expect(job.body.creator_user_name).toBe(SP_M2M);

      const after = (await emu.control('GET', '/stats')).tokens;
      expect(after.issued).toBe(before.issued + 1);
      expect(after.issuedByGrant.client_credentials).toBe(before.issuedByGrant.client_credentials + 1);
    });

    test('client_secret_post works too, and the body may carry several scopes', async () => {
      const result = await tokenRequest(emu.url, {
        grant_type: 'client_credentials',
        scope: 'all-apis offline_access',
        client_id: SP_M2M,
        client_secret: SP_M2M_SECRET,
      });
      expect(result.status).toBe(200);
      expect((await me(emu, result.body.access_token)).body.applicationId).toBe(SP_M2M);
    });

    test('a wrong secret, an unknown client or no credentials are 401 invalid_client', async () => {
      const before = (await emu.control('GET', '/stats')).tokens;
      expectOAuthError(await m2m(emu, 'dose-not-the-secret'), 401, 'invalid_client', /secret.*wrong/, [
        'dose-not-the-secret',
      ]);
      expectOAuthError(await m2m(emu, SP_M2M_SECRET, 'no-such-sp'), 401, 'invalid_client', /no-such-sp/, [
        SP_M2M_SECRET,
      ]);
      expectOAuthError(
        await tokenRequest(emu.url, { grant_type: 'client_credentials', scope: 'all-apis' }),
        401,
        'invalid_client',
        /client_id and client_secret/,
      );
      const after = (await emu.control('GET', '/stats')).tokens;
      expect(after.issued).toBe(before.issued);
      expect(after.rejected).toBe(before.rejected + 3);
      expect(after.rejectedByError.invalid_client).toBe((before.rejectedByError.invalid_client ?? 0) + 3);
    });

    test('malformed requests: grant, scope, encoding, duplicate parameters, two auth methods', async () => {
      const basic = { id: SP_M2M, secret: SP_M2M_SECRET };
      expectOAuthError(
        await tokenRequest(emu.url, { grant_type: 'password', scope: 'all-apis' }, basic),
        400,
        'unsupported_grant_type',
        /password/,
      );
      expectOAuthError(
        await tokenRequest(emu.url, { scope: 'all-apis' }, basic),
        400,
        'invalid_request',
        /grant_type/,
      );
      expectOAuthError(
        await tokenRequest(emu.url, { grant_type: 'client_credentials', scope: 'sql' }, basic),
        400,
        'invalid_scope',
        /unsupported scope sql/,
      );
      expectOAuthError(
        await tokenRequest(emu.url, { grant_type: 'client_credentials', scope: 'offline_access' }, basic),
        400,
        'invalid_scope',
        /all-apis/,
      );
      expectOAuthError(
        await tokenRequest(emu.url, { grant_type: 'client_credentials' }, basic),
        400,
        'invalid_scope',
        /required/,
      );
      expectOAuthError(
        await tokenRequest(
          emu.url,
          { grant_type: 'client_credentials', scope: 'all-apis', client_secret: SP_M2M_SECRET },
          basic,
        ),
        400,
        'invalid_request',
        /one method/,
        [SP_M2M_SECRET],
      );
      const json = await fetch(`${emu.url}/oidc/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      expect(json.status).toBe(400);
      expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
      const repeated = await fetch(`${emu.url}/oidc/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=all-apis&scope=all-apis',
      });
      expect(await repeated.json()).toMatchObject({
        error: 'invalid_request',
        error_description: 'parameter scope is repeated',
      });
    });

    test('a rotated secret stops working at once; issued tokens stay valid; reset restores it', async () => {
      const local = await startTestEmulator({ servicePrincipals });
      try {
        const token = (await m2m(local)).body.access_token as string;
        const rotated = await local.control('POST', `/service-principals/${SP_M2M}/rotate-secret`);
        expect(rotated).toEqual({
          client_id: SP_M2M,
          client_secret: expect.stringMatching(/^dose[0-9a-f]{48}$/),
        });
        expectOAuthError(await m2m(local), 401, 'invalid_client', /wrong/, [SP_M2M_SECRET]);
        expect((await m2m(local, rotated.client_secret)).status).toBe(200);
        expect((await me(local, token)).status).toBe(200);
        await local.control('POST', '/reset');
        expect((await m2m(local)).status).toBe(200);
      } finally {
        await local.close();
      }
    });

    test('a revoked service principal gets no token and its tokens answer 401', async () => {
      const local = await startTestEmulator({ servicePrincipals });
      try {
        const token = (await m2m(local)).body.access_token as string;
        const other = (await m2m(local, SP_FED_SECRET, SP_FED)).body.access_token as string;
        expect(await local.control('POST', `/service-principals/${SP_M2M}/revoke`)).toEqual({ revoked: 1 });
        const denied = await me(local, token);
        expect(denied.status).toBe(401);
        expect(denied.body.error_code).toBe('UNAUTHENTICATED');
        expectOAuthError(await m2m(local), 401, 'invalid_client', /deactivated/, [SP_M2M_SECRET]);
        // Only that principal is affected.
        expect((await me(local, other)).status).toBe(200);
        const unknown = await local.api('POST', '/__emulator/service-principals/nobody/revoke', undefined, {
          token: null,
        });
        expect(unknown.status).toBe(404);
      } finally {
        await local.close();
      }
    });

    test('revoke-all: every OAuth token answers 401 at once; PATs keep working; new tokens work', async () => {
      const token = (await m2m(emu)).body.access_token as string;
      expect((await me(emu, token)).status).toBe(200);
      const { revoked } = await emu.control<{ revoked: number }>('POST', '/tokens/revoke-all');
      expect(revoked).toBeGreaterThanOrEqual(1);
      expect((await me(emu, token)).status).toBe(401);
      expect((await emu.api('GET', ME)).status).toBe(200);
      expect((await me(emu, (await m2m(emu)).body.access_token)).status).toBe(200);
    });

    test('--token-ttl 1: the token works, and answers 401 "expired" once its second is over', async () => {
      const requestedAt = Date.now();
      const result = await m2m(shortLived);
      expect(result.body.expires_in).toBe(1);
      const token = result.body.access_token as string;
      const first = await me(shortLived, token);
      // Only a stalled machine could take a whole second to get here.
      if (first.status !== 200) expect(Date.now() - requestedAt).toBeGreaterThanOrEqual(1000);
      const expired = await waitFor(
        () => me(shortLived, token),
        (r) => r.status !== 200,
        { timeoutMs: 5_000, what: 'the token to expire' },
      );
      expect(Date.now() - requestedAt).toBeGreaterThanOrEqual(1000);
      expect(expired.status).toBe(401);
      expect(expired.body).toMatchObject({
        error_code: 'UNAUTHENTICATED',
        message: 'Invalid access token: the token has expired.',
      });
    });
  });

  describe('token federation (RFC 8693) with a real identity provider', () => {
    test('with client_id: the service principal of the policy, for as long as the IdP token lives', async () => {
      const subject = await idp.issueToken();
      const result = await exchange(emu.url, subject, SP_FED);
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        scope: 'all-apis',
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      });
      // The IdP's tokens live 300 s, less than --token-ttl (3600): the exchanged token lives no longer.
      expect(result.body.expires_in).toBeGreaterThanOrEqual(295);
      expect(result.body.expires_in).toBeLessThanOrEqual(300);
      const principal = await me(emu, result.body.access_token);
      expect(principal.body).toMatchObject({
        applicationId: SP_FED,
        userName: SP_FED,
        displayName: 'Federated worker',
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal'],
      });
    });

    test('without client_id: an account-wide policy lets the JWT subject in as itself; ES256 is accepted', async () => {
      const result = await exchange(
        emu.url,
        await idp.sign({ sub: 'ml-pipeline@corp.example' }, { alg: 'ES256' }),
      );
      expect(result.status).toBe(200);
      const principal = await me(emu, result.body.access_token);
      expect(principal.body).toMatchObject({
        userName: 'ml-pipeline@corp.example',
        active: true,
        schemas: expect.arrayContaining(['urn:ietf:params:scim:schemas:core:2.0:User']),
      });
      expect(principal.body.applicationId).toBeUndefined();
    });

    test('the access token never outlives --token-ttl, nor the subject token', async () => {
      const local = await startTestEmulator({
        tokenTtlSeconds: 1,
        federationPolicies: [{ issuer: idp.issuer, audiences: [idp.audience] }],
      });
      try {
        expect((await exchange(local.url, await idp.issueToken())).body.expires_in).toBe(1);
      } finally {
        await local.close();
      }
      const shortSubject = await idp.sign({ exp: nowSeconds() + 30 });
      const result = await exchange(emu.url, shortSubject);
      expect(result.body.expires_in).toBeGreaterThanOrEqual(27);
      expect(result.body.expires_in).toBeLessThanOrEqual(30);
    });

    test('an expired JWT is invalid_grant "expired"', async () => {
      const expired = await idp.sign({ iat: nowSeconds() - 600, exp: nowSeconds() - 60 });
      expectOAuthError(await exchange(emu.url, expired, SP_FED), 400, 'invalid_grant', /expired/, [expired]);
      expectOAuthError(await exchange(emu.url, expired), 400, 'invalid_grant', /expired/, [expired]);
      const notYet = await idp.sign({ nbf: nowSeconds() + 120 });
      expectOAuthError(await exchange(emu.url, notYet), 400, 'invalid_grant', /not valid yet/, [notYet]);
    });

    test('a wrong audience is invalid_grant naming the audience', async () => {
      const token = await idp.sign({ aud: 'https://another-service.example' });
      expectOAuthError(
        await exchange(emu.url, token, SP_FED),
        400,
        'invalid_grant',
        /audience \(https:\/\/another-service\.example\) is not accepted/,
        [token],
      );
      expectOAuthError(await exchange(emu.url, token), 400, 'invalid_grant', /audience/, [token]);
    });

    test('a token of another real IdP, which no policy trusts, is invalid_grant naming the issuer', async () => {
      const token = await otherIdp.issueToken();
      expectOAuthError(
        await exchange(emu.url, token, SP_FED),
        400,
        'invalid_grant',
        new RegExp(
          `no federation policy trusts tokens issued by ${otherIdp.issuer.replace(/[.:/]/g, '\\$&')}`,
        ),
        [token],
      );
      // Claiming the trusted issuer does not help: the signature is the other IdP's.
      const forged = await otherIdp.sign({ iss: idp.issuer, aud: idp.audience, sub: idp.clientId });
      expectOAuthError(await exchange(emu.url, forged, SP_FED), 400, 'invalid_grant', /signature/, [forged]);
    });

    test("a subject the service principal's policy does not name is invalid_grant naming the subject", async () => {
      const token = await idp.sign({ sub: 'intruder' });
      expectOAuthError(
        await exchange(emu.url, token, SP_FED),
        400,
        'invalid_grant',
        /subject \(sub: intruder\) does not match/,
        [token],
      );
      const noSubject = await idp.sign({ sub: undefined });
      expectOAuthError(await exchange(emu.url, noSubject, SP_FED), 400, 'invalid_grant', /no sub claim/, [
        noSubject,
      ]);
    });

    test('unsigned (alg none) and HS256 tokens are rejected before any key lookup', async () => {
      const claims = { iss: idp.issuer, aud: idp.audience, sub: idp.clientId, exp: nowSeconds() + 300 };
      const unsigned = unsignedJwt(claims);
      expectOAuthError(
        await exchange(emu.url, unsigned, SP_FED),
        400,
        'invalid_grant',
        /unsigned \(alg "none"\)/,
        [unsigned],
      );
      const hs256 = await hs256Jwt(claims, idp.clientSecret);
      expectOAuthError(
        await exchange(emu.url, hs256, SP_FED),
        400,
        'invalid_grant',
        /HS256.*RS256 or ES256/,
        [hs256, idp.clientSecret],
      );
    });

    test('no matching policy: none at all, or none for the client_id sent', async () => {
      const token = await idp.issueToken();
      expectOAuthError(
        await exchange(shortLived.url, token),
        400,
        'invalid_grant',
        /no federation policy trusts/,
        [token],
      );
      // SP_M2M exists but has no federation policy: a client_id mismatch.
      expectOAuthError(
        await exchange(emu.url, token, SP_M2M),
        401,
        'invalid_client',
        new RegExp(`${SP_M2M} has no federation policy`),
        [token],
      );
      expectOAuthError(await exchange(emu.url, token, 'no-such-sp'), 401, 'invalid_client', /no-such-sp/, [
        token,
      ]);
    });

    test('malformed exchange requests are invalid_request; an unreachable key set is 503 temporarily_unavailable', async () => {
      expectOAuthError(
        await tokenRequest(emu.url, {
          grant_type: TOKEN_EXCHANGE,
          subject_token_type: JWT_TYPE,
          scope: 'all-apis',
        }),
        400,
        'invalid_request',
        /subject_token is required/,
      );
      const token = await idp.issueToken();
      expectOAuthError(
        await tokenRequest(emu.url, {
          grant_type: TOKEN_EXCHANGE,
          subject_token: token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          scope: 'all-apis',
        }),
        400,
        'invalid_request',
        /subject_token_type/,
        [token],
      );
      expectOAuthError(await exchange(emu.url, 'not-a-jwt'), 400, 'invalid_request', /well-formed JWT/, [
        'not-a-jwt',
      ]);
      const unreachable = await idp.sign({ iss: UNREACHABLE_ISSUER });
      expectOAuthError(
        await exchange(emu.url, unreachable),
        503,
        'temporarily_unavailable',
        /signing keys of issuer https:\/\/idp\.unreachable\.test/,
        [unreachable],
      );
    });

    test('stats count exchanges and rejections by error', async () => {
      const before = (await emu.control('GET', '/stats')).tokens;
      expect((await exchange(emu.url, await idp.issueToken(), SP_FED)).status).toBe(200);
      expect((await exchange(emu.url, await idp.sign({ aud: 'nope' }), SP_FED)).status).toBe(400);
      const after = (await emu.control('GET', '/stats')).tokens;
      expect(after.issuedByGrant.token_exchange).toBe(before.issuedByGrant.token_exchange + 1);
      expect(after.rejectedByError.invalid_grant).toBe(before.rejectedByError.invalid_grant + 1);
      expect(after.issued).toBe(before.issued + 1);
    });
  });

  describe('SCIM Me', () => {
    test('a PAT is the emulator user', async () => {
      const result = await emu.api('GET', ME);
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        schemas: [
          'urn:ietf:params:scim:schemas:core:2.0:User',
          'urn:ietf:params:scim:schemas:extension:workspace:2.0:User',
        ],
        id: expect.stringMatching(/^\d{16}$/),
        userName: 'emulator-user@localhost',
        displayName: 'emulator-user@localhost',
        active: true,
        emails: [{ value: 'emulator-user@localhost', type: 'work', primary: true }],
      });
    });

    test('an M2M token is the service principal, with a stable SCIM id', async () => {
      const first = await me(emu, (await m2m(emu)).body.access_token);
      const second = await me(emu, (await m2m(emu)).body.access_token);
      expect(first.body).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal'],
        id: expect.stringMatching(/^\d{16}$/),
        applicationId: SP_M2M,
        userName: SP_M2M,
        displayName: 'Lakeloop worker',
        active: true,
      });
      expect(second.body.id).toBe(first.body.id);
    });

    test('Me requires a token', async () => {
      const result = await emu.api('GET', ME, undefined, { token: null });
      expect(result.status).toBe(401);
    });
  });
});

/**
 * A real OpenID Connect provider on loopback (node-oidc-provider) playing the company IdP ("Okta"):
 * OIDC discovery, a JWKS, and client-credentials grants that issue RS256-signed JWT access tokens for
 * one audience. Databricks' federation policy (in the emulator) trusts it by issuer + audience + subject.
 *
 * Besides its real token endpoint (`issueToken`, or any OAuth client), it can `sign` chosen claims
 * with its own published keys (RS256, or ES256 with its second key): a token the IdP genuinely signed
 * but with, say, an `exp` in the past or another audience — what claim checks must reject.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { JWTPayload } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import Provider from 'oidc-provider';
import { recordTestSecret } from './secrets-ledger.js';

export interface TestIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  /** Every access token the IdP issued or signed (for the secrets sweep). */
  issuedTokens: string[];
  /** A client-credentials access token (a JWT for `audience`) from the real token endpoint. */
  issueToken(): Promise<string>;
  /**
   * A JWT signed with the IdP's published key. Defaults: iss, aud = audience, sub = client_id = clientId,
   * iat now, exp in 5 minutes; `claims` override them (`undefined` removes one).
   */
  sign(claims?: Record<string, unknown>, options?: { alg?: 'RS256' | 'ES256' }): Promise<string>;
  close(): Promise<void>;
}

export interface TestIdentityProviderOptions {
  clientId?: string;
  audience?: string;
  accessTokenTtlSeconds?: number;
}

export async function startTestIdentityProvider(
  options: TestIdentityProviderOptions = {},
): Promise<TestIdentityProvider> {
  const clientId = options.clientId ?? 'lakeloop-worker';
  const clientSecret = randomBytes(24).toString('base64url');
  // Resource indicators (RFC 8707) must be absolute URIs; Databricks policies match it as the token's aud.
  const audience = options.audience ?? 'https://databricks.lakeloop.test/federation';
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(rsa.privateKey)), kid: 'test-idp-key', use: 'sig', alg: 'RS256' };
  const ecJwk = { ...(await exportJWK(ec.privateKey)), kid: 'test-idp-ec-key', use: 'sig', alg: 'ES256' };
  recordTestSecret('the test IdP client secret', clientSecret);
  recordTestSecret('the test IdP RSA private key', jwk.d);
  recordTestSecret('the test IdP EC private key', ecJwk.d);
  const issuedTokens: string[] = [];
  const recordIssued = (token: string) => {
    issuedTokens.push(token);
    recordTestSecret('a test IdP access token', token);
  };
  const ttlSeconds = options.accessTokenTtlSeconds ?? 300;

  // The issuer must be known before the provider is built, so bind a port first.
  const { createServer } = await import('node:http');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    adapter: memoryAdapter,
    jwks: { keys: [jwk, ecJwk] },
    ttl: { ClientCredentials: ttlSeconds },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== audience) throw new Error(`unknown resource ${resource}`);
          return {
            scope: 'openid',
            audience,
            accessTokenTTL: ttlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  // JWT-format tokens are not stored by the provider; take them from each successful grant's response.
  provider.on('grant.success', (ctx) => {
    const body = ctx.body as { access_token?: unknown } | undefined;
    if (typeof body?.access_token === 'string') recordIssued(body.access_token);
  });
  const handle = provider.callback();
  server.on('request', (req, res) => void handle(req, res));

  const issueToken = async (): Promise<string> => {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience }),
    });
    const body = (await response.json()) as { access_token?: string };
    if (response.status !== 200 || !body.access_token) {
      throw new Error(`test IdP token request failed with HTTP ${response.status}`);
    }
    return body.access_token;
  };

  const sign = async (
    claims: Record<string, unknown> = {},
    { alg = 'RS256' }: { alg?: 'RS256' | 'ES256' } = {},
  ): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: issuer,
      aud: audience,
      sub: clientId,
      client_id: clientId,
      jti: randomUUID(),
      iat: now,
      exp: now + ttlSeconds,
      ...claims,
    };
    for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
    const token = await new SignJWT(payload as JWTPayload)
      .setProtectedHeader({ alg, typ: 'at+jwt', kid: alg === 'RS256' ? jwk.kid : ecJwk.kid })
      .sign(alg === 'RS256' ? rsa.privateKey : ec.privateKey);
    recordIssued(token);
    return token;
  };

  return {
    issuer,
    clientId,
    clientSecret,
    audience,
    issuedTokens,
    issueToken,
    sign,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // openid-client keeps connections alive; close() alone would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

/**
 * The provider's own in-memory store, minus its "development-only adapter" warning on every start.
 * Client credentials with JWT access tokens store nothing; the rest is here for completeness.
 */
function memoryAdapter(): Adapter {
  const items = new Map<string, AdapterPayload>();
  const find = async (match: (p: AdapterPayload) => boolean) => [...items.values()].find(match);
  return {
    upsert: async (id, payload) => void items.set(id, payload),
    find: async (id) => items.get(id),
    findByUserCode: (userCode) => find((p) => p.userCode === userCode),
    findByUid: (uid) => find((p) => p.uid === uid),
    consume: async (id) => {
      const item = items.get(id);
      if (item) item.consumed = Math.floor(Date.now() / 1000);
    },
    destroy: async (id) => void items.delete(id),
    revokeByGrantId: async (grantId) => {
      for (const [id, p] of items) if (p.grantId === grantId) items.delete(id);
    },
  };
}

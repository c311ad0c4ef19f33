/**
 * A real OpenID Connect provider on loopback (node-oidc-provider) playing the company IdP ("Okta"):
 * OIDC discovery, a JWKS, and client-credentials grants that issue RS256-signed JWT access tokens for
 * one audience. Databricks' federation policy (in the emulator) trusts it by issuer + audience + subject.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export interface TestIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  /** Every access token the IdP issued (for the secrets sweep). */
  issuedTokens: string[];
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
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-idp-key', use: 'sig', alg: 'RS256' };
  const issuedTokens: string[] = [];

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
    jwks: { keys: [jwk] },
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
            accessTokenTTL: options.accessTokenTtlSeconds ?? 300,
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
    if (typeof body?.access_token === 'string') issuedTokens.push(body.access_token);
  });
  const handle = provider.callback();
  server.on('request', (req, res) => void handle(req, res));

  return {
    issuer,
    clientId,
    clientSecret,
    audience,
    issuedTokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // openid-client keeps connections alive; close() alone would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { defaultDiscovery, isAccountConsoleHost } from '../../src/auth/databricks-discovery.js';
import { loadDatabricksSettings } from '../../src/config/databricks.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-dbcfg-'));
const noFile = { DATABRICKS_CONFIG_FILE: path.join(dir, 'absent') };

function load(env: Record<string, string>) {
  const problems: string[] = [];
  const settings = loadDatabricksSettings({ ...noFile, ...env }, problems);
  return { settings, problems };
}

describe('Databricks settings', () => {
  test('nothing configured is not an error here (the worker decides)', () => {
    expect(load({})).toEqual({ settings: undefined, problems: [] });
  });

  test('infers oauth-m2m from a client secret and normalises the host', () => {
    expect(
      load({
        DATABRICKS_HOST: 'adb-1.2.azuredatabricks.net/?o=1',
        DATABRICKS_CLIENT_ID: 'sp',
        DATABRICKS_CLIENT_SECRET: 's',
      }),
    ).toEqual({
      settings: {
        authType: 'oauth-m2m',
        host: 'https://adb-1.2.azuredatabricks.net',
        clientId: 'sp',
        clientSecret: 's',
      },
      problems: [],
    });
  });

  test('infers federation from the IdP settings, with the optional service principal', () => {
    const { settings } = load({
      DATABRICKS_HOST: 'https://w.cloud.databricks.com',
      DATABRICKS_CLIENT_ID: 'sp-app-id',
      LAKELOOP_OIDC_ISSUER: 'https://company.okta.com/',
      LAKELOOP_OIDC_CLIENT_ID: 'lakeloop',
      LAKELOOP_OIDC_CLIENT_SECRET: 'x',
      LAKELOOP_OIDC_AUDIENCE: 'https://w.cloud.databricks.com',
    });
    expect(settings).toEqual({
      authType: 'oidc-federation',
      host: 'https://w.cloud.databricks.com',
      clientId: 'sp-app-id',
      subject: {
        kind: 'idp-client-credentials',
        issuer: 'https://company.okta.com',
        clientId: 'lakeloop',
        clientSecret: 'x',
        audience: 'https://w.cloud.databricks.com',
      },
    });
  });

  test('file-oidc reads a projected token file', () => {
    expect(
      load({
        DATABRICKS_HOST: 'https://w',
        DATABRICKS_AUTH_TYPE: 'file-oidc',
        DATABRICKS_OIDC_TOKEN_FILE: '/var/run/token',
      }).settings,
    ).toEqual({
      authType: 'oidc-federation',
      host: 'https://w',
      subject: { kind: 'file', path: '/var/run/token' },
    });
  });

  test('an existing DATABRICKS_OIDC_TOKEN_FILE is the one token source, not also DATABRICKS_OIDC_TOKEN', () => {
    // Regression: the generic NAME_FILE indirection read this path as DATABRICKS_OIDC_TOKEN's file too.
    const tokenFile = path.join(dir, 'oidc-token');
    writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n');
    expect(
      load({
        DATABRICKS_HOST: 'https://w',
        DATABRICKS_CLIENT_ID: 'sp',
        DATABRICKS_OIDC_TOKEN_FILE: tokenFile,
      }),
    ).toEqual({
      settings: {
        authType: 'oidc-federation',
        host: 'https://w',
        clientId: 'sp',
        subject: { kind: 'file', path: tokenFile },
      },
      problems: [],
    });
  });

  test.each([
    [{ DATABRICKS_CLIENT_ID: 'x', DATABRICKS_CLIENT_SECRET: 'y' }, /^DATABRICKS_HOST: required/],
    [
      { DATABRICKS_HOST: 'http://example.com', DATABRICKS_TOKEN: 't' },
      /^DATABRICKS_HOST: expected an https:\/\/ URL/,
    ],
    [{ DATABRICKS_HOST: 'https://w' }, /^DATABRICKS_AUTH_TYPE: no credentials found/],
    [
      { DATABRICKS_HOST: 'https://w', DATABRICKS_TOKEN: 't', DATABRICKS_CLIENT_SECRET: 's' },
      /several methods.*DATABRICKS_AUTH_TYPE/,
    ],
    [
      { DATABRICKS_HOST: 'https://w', DATABRICKS_AUTH_TYPE: 'magic' },
      /^DATABRICKS_AUTH_TYPE: expected one of pat, oauth-m2m/,
    ],
    [
      { DATABRICKS_HOST: 'https://w', DATABRICKS_CLIENT_SECRET: 's' },
      /^DATABRICKS_CLIENT_ID: required for oauth-m2m/,
    ],
    [
      { DATABRICKS_HOST: 'https://w', LAKELOOP_OIDC_ISSUER: 'https://idp' },
      /^LAKELOOP_OIDC_CLIENT_ID: required/,
    ],
    [
      { DATABRICKS_HOST: 'https://w', DATABRICKS_CONFIG_PROFILE: 'prod', DATABRICKS_TOKEN: 't' },
      /^DATABRICKS_CONFIG_PROFILE=prod: the config file/,
    ],
  ])('rejects %j with a message naming the variable', (env, message) => {
    const { settings, problems } = load(env);
    expect(settings).toBeUndefined();
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test('reads ~/.databrickscfg profiles, with environment variables taking precedence', () => {
    const file = path.join(dir, 'databrickscfg');
    writeFileSync(
      file,
      '[DEFAULT]\nhost = https://default.example\ntoken = dapi-default\n\n[prod]\nhost = https://prod.example\nclient_id = sp\nclient_secret = sec\n',
    );
    expect(loadDatabricksSettings({ DATABRICKS_CONFIG_FILE: file }, [])).toEqual({
      authType: 'pat',
      host: 'https://default.example',
      token: 'dapi-default',
    });
    expect(
      loadDatabricksSettings(
        {
          DATABRICKS_CONFIG_FILE: file,
          DATABRICKS_CONFIG_PROFILE: 'prod',
          DATABRICKS_HOST: 'https://override.example',
        },
        [],
      ),
    ).toEqual({
      authType: 'oauth-m2m',
      host: 'https://override.example',
      clientId: 'sp',
      clientSecret: 'sec',
    });
    const problems: string[] = [];
    loadDatabricksSettings({ DATABRICKS_CONFIG_FILE: file, DATABRICKS_CONFIG_PROFILE: 'staging' }, problems);
    expect(problems).toEqual([expect.stringMatching(/no \[staging\] profile .*found: DEFAULT, prod/)]);
  });

  describe('where the OAuth server is (DATABRICKS_ACCOUNT_ID, DATABRICKS_DISCOVERY_URL)', () => {
    const m2m = { DATABRICKS_CLIENT_ID: 'sp', DATABRICKS_CLIENT_SECRET: 's' };

    test('both are kept for OAuth methods, from variables, NAME_FILE or a profile', () => {
      const urlFile = path.join(dir, 'discovery-url');
      writeFileSync(urlFile, 'https://login.example.com/databricks/.well-known/oauth-authorization-server\n');
      expect(
        load({
          DATABRICKS_HOST: 'https://w.cloud.databricks.com',
          ...m2m,
          DATABRICKS_ACCOUNT_ID: '0d26daa6-5e44-4c97-a497-ef015f91254a',
          DATABRICKS_DISCOVERY_URL_FILE: urlFile,
        }),
      ).toEqual({
        settings: {
          authType: 'oauth-m2m',
          host: 'https://w.cloud.databricks.com',
          clientId: 'sp',
          clientSecret: 's',
          accountId: '0d26daa6-5e44-4c97-a497-ef015f91254a',
          discoveryUrl: 'https://login.example.com/databricks/.well-known/oauth-authorization-server',
        },
        problems: [],
      });
      const file = path.join(dir, 'databrickscfg-account');
      writeFileSync(
        file,
        '[acct]\nhost = https://accounts.cloud.databricks.com\naccount_id = acc-1\nclient_id = sp\nclient_secret = s\n' +
          'discovery_url = http://127.0.0.1:8080/oidc/.well-known/oauth-authorization-server\n',
      );
      expect(
        loadDatabricksSettings({ DATABRICKS_CONFIG_FILE: file, DATABRICKS_CONFIG_PROFILE: 'acct' }, []),
      ).toMatchObject({
        authType: 'oauth-m2m',
        host: 'https://accounts.cloud.databricks.com',
        accountId: 'acc-1',
        discoveryUrl: 'http://127.0.0.1:8080/oidc/.well-known/oauth-authorization-server',
      });
    });

    test('an account console needs DATABRICKS_ACCOUNT_ID (or a discovery URL); a PAT does not', () => {
      const host = 'https://accounts.cloud.databricks.com';
      expect(load({ DATABRICKS_HOST: host, ...m2m }).problems).toEqual([
        expect.stringMatching(
          /^DATABRICKS_ACCOUNT_ID: required when DATABRICKS_HOST is an account console \(https:\/\/accounts\.cloud\.databricks\.com\)/,
        ),
      ]);
      expect(
        load({ DATABRICKS_HOST: host, DATABRICKS_OIDC_TOKEN: 'eyJ.e30.x', DATABRICKS_ACCOUNT_ID: 'a-1' }),
      ).toMatchObject({ settings: { authType: 'oidc-federation', accountId: 'a-1' }, problems: [] });
      expect(load({ DATABRICKS_HOST: host, DATABRICKS_TOKEN: 't' }).problems).toEqual([]);
    });

    test.each([
      [{ DATABRICKS_ACCOUNT_ID: 'acc/../x' }, /^DATABRICKS_ACCOUNT_ID: expected the Databricks account id/],
      [
        { DATABRICKS_DISCOVERY_URL: 'oidc/.well-known' },
        /^DATABRICKS_DISCOVERY_URL: expected the https:\/\/ URL/,
      ],
      [
        { DATABRICKS_DISCOVERY_URL: 'http://login.example.com/.well-known/oauth-authorization-server' },
        /^DATABRICKS_DISCOVERY_URL: .*plain http only on loopback/,
      ],
    ])('rejects %j with a message naming the variable', (env, message) => {
      const { settings, problems } = load({ DATABRICKS_HOST: 'https://w', ...m2m, ...env });
      expect(settings).toBeUndefined();
      expect(problems).toEqual([expect.stringMatching(message)]);
    });

    test("account consoles by the SDKs' host rule, and the discovery URL each kind of host implies", () => {
      expect(isAccountConsoleHost('https://accounts.cloud.databricks.com')).toBe(true);
      expect(isAccountConsoleHost('https://accounts.azuredatabricks.net')).toBe(true);
      expect(isAccountConsoleHost('https://accounts-dod.cloud.databricks.us')).toBe(true);
      expect(isAccountConsoleHost('https://adb-1.2.azuredatabricks.net')).toBe(false);
      expect(isAccountConsoleHost('https://myaccounts.cloud.databricks.com')).toBe(false);
      const account = defaultDiscovery({ host: 'https://accounts.gcp.databricks.com', accountId: 'a-1' });
      expect('url' in account && account.url.href).toBe(
        'https://accounts.gcp.databricks.com/oidc/accounts/a-1/.well-known/oauth-authorization-server',
      );
      const workspace = defaultDiscovery({ host: 'https://w.cloud.databricks.com', accountId: 'a-1' });
      expect('url' in workspace && workspace.url.href).toBe(
        'https://w.cloud.databricks.com/oidc/.well-known/oauth-authorization-server',
      );
      expect(defaultDiscovery({ host: 'https://accounts.cloud.databricks.com' })).toEqual({
        problem: expect.stringMatching(/set DATABRICKS_ACCOUNT_ID/),
      });
    });
  });

  test('secret values never appear in problems', () => {
    const { problems } = load({
      DATABRICKS_HOST: 'http://remote.example',
      DATABRICKS_TOKEN: 'dapi-very-secret',
    });
    expect(problems.join('\n')).not.toContain('dapi-very-secret');
  });
});

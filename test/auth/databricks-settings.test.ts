import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
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

  test('secret values never appear in problems', () => {
    const { problems } = load({
      DATABRICKS_HOST: 'http://remote.example',
      DATABRICKS_TOKEN: 'dapi-very-secret',
    });
    expect(problems.join('\n')).not.toContain('dapi-very-secret');
  });
});

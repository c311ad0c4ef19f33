/**
 * Databricks workspace and identity settings. Names follow Databricks' unified authentication
 * (DATABRICKS_HOST, DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID/SECRET, DATABRICKS_AUTH_TYPE,
 * DATABRICKS_OIDC_TOKEN(_FILE), DATABRICKS_CONFIG_PROFILE, DATABRICKS_ACCOUNT_ID,
 * DATABRICKS_DISCOVERY_URL), so settings that work for the Databricks CLI work here; LAKELOOP_OIDC_*
 * describe the company identity provider for token federation.
 */
import type { SubjectTokenSource } from '../auth/oidc-federation.js';
import { isSecureOrLoopback } from '../auth/loopback.js';
import { lookupProfile } from './databricks-config-file.js';
import { loadOAuthEndpointSettings, type DatabricksOAuthEndpointSettings } from './databricks-oauth.js';
import { readSetting, type Env } from './env.js';

/** The Databricks workspace and how to authenticate to it (PAT, OAuth M2M, or OIDC token federation). */
export type DatabricksAuthSettings =
  | { authType: 'pat'; host: string; token: string }
  | ({
      authType: 'oauth-m2m';
      host: string;
      clientId: string;
      clientSecret: string;
    } & DatabricksOAuthEndpointSettings)
  | ({
      authType: 'oidc-federation';
      host: string;
      clientId?: string;
      subject: SubjectTokenSource;
    } & DatabricksOAuthEndpointSettings);

export const DATABRICKS_ENV = [
  'DATABRICKS_HOST',
  'DATABRICKS_TOKEN',
  'DATABRICKS_CLIENT_ID',
  'DATABRICKS_CLIENT_SECRET',
  'DATABRICKS_AUTH_TYPE',
  'DATABRICKS_OIDC_TOKEN',
  'DATABRICKS_OIDC_TOKEN_FILE',
  'DATABRICKS_CONFIG_PROFILE',
  'DATABRICKS_CONFIG_FILE',
  'DATABRICKS_ACCOUNT_ID',
  'DATABRICKS_DISCOVERY_URL',
  'LAKELOOP_OIDC_ISSUER',
  'LAKELOOP_OIDC_CLIENT_ID',
  'LAKELOOP_OIDC_CLIENT_SECRET',
  'LAKELOOP_OIDC_AUDIENCE',
  'LAKELOOP_OIDC_SCOPE',
] as const;

const AUTH_TYPES: Record<string, DatabricksAuthSettings['authType']> = {
  pat: 'pat',
  'oauth-m2m': 'oauth-m2m',
  'oidc-federation': 'oidc-federation',
  // The Databricks SDKs' names for federation with a token from an env var or a file.
  'env-oidc': 'oidc-federation',
  'file-oidc': 'oidc-federation',
};

/** Profile keys (in ~/.databrickscfg) behind each variable. */
const PROFILE_KEYS: Partial<Record<(typeof DATABRICKS_ENV)[number], string[]>> = {
  DATABRICKS_HOST: ['host'],
  DATABRICKS_TOKEN: ['token'],
  DATABRICKS_CLIENT_ID: ['client_id'],
  DATABRICKS_CLIENT_SECRET: ['client_secret'],
  DATABRICKS_AUTH_TYPE: ['auth_type'],
  DATABRICKS_OIDC_TOKEN_FILE: ['oidc_token_file', 'oidc_token_filepath'],
  DATABRICKS_ACCOUNT_ID: ['account_id'],
  DATABRICKS_DISCOVERY_URL: ['discovery_url'],
};

function normaliseHost(raw: string, problems: string[]): string | undefined {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    problems.push(
      `DATABRICKS_HOST: expected a workspace URL such as https://adb-123.4.azuredatabricks.net (got "${raw}")`,
    );
    return undefined;
  }
  if (!isSecureOrLoopback(url)) {
    problems.push(
      `DATABRICKS_HOST: expected an https:// URL (plain http only for a local emulator on loopback; got "${raw}")`,
    );
    return undefined;
  }
  return url.origin;
}

/**
 * Resolves the Databricks settings, or undefined when nothing Databricks-related is configured at all.
 * Problems are appended to `problems`, each naming the variable and what it expects.
 */
export function loadDatabricksSettings(env: Env, problems: string[]): DatabricksAuthSettings | undefined {
  const profile = lookupProfile(env);
  if (profile.problem) {
    problems.push(profile.problem);
    return undefined;
  }
  const read = (name: (typeof DATABRICKS_ENV)[number]): string | undefined => {
    const fromEnv = readSetting(env, name, problems);
    if (fromEnv !== undefined) return fromEnv;
    for (const key of PROFILE_KEYS[name] ?? []) if (profile.values[key]) return profile.values[key];
    return undefined;
  };
  const rawHost = read('DATABRICKS_HOST');
  const token = read('DATABRICKS_TOKEN');
  const clientId = read('DATABRICKS_CLIENT_ID');
  const clientSecret = read('DATABRICKS_CLIENT_SECRET');
  // Not read(): its NAME_FILE indirection would take DATABRICKS_OIDC_TOKEN_FILE — Databricks' name for
  // the token file's path (file-oidc) — as a second source of DATABRICKS_OIDC_TOKEN.
  const oidcToken = env.DATABRICKS_OIDC_TOKEN || undefined;
  const oidcTokenFile = read('DATABRICKS_OIDC_TOKEN_FILE');
  const issuer = read('LAKELOOP_OIDC_ISSUER');
  const rawAuthType = read('DATABRICKS_AUTH_TYPE');
  const accountId = read('DATABRICKS_ACCOUNT_ID');
  const discoveryUrl = read('DATABRICKS_DISCOVERY_URL');

  const anything = [
    rawHost,
    token,
    clientId,
    clientSecret,
    oidcToken,
    oidcTokenFile,
    issuer,
    rawAuthType,
    accountId,
    discoveryUrl,
  ].some((v) => v !== undefined);
  if (!anything) return undefined;
  if (!rawHost) {
    problems.push(
      `DATABRICKS_HOST: required — the workspace URL, e.g. https://adb-123.4.azuredatabricks.net${profile.source ? ` (not in ${profile.source})` : ''}`,
    );
    return undefined;
  }
  const host = normaliseHost(rawHost, problems);

  let authType: DatabricksAuthSettings['authType'] | undefined;
  if (rawAuthType !== undefined) {
    authType = AUTH_TYPES[rawAuthType.toLowerCase()];
    if (!authType) {
      problems.push(
        `DATABRICKS_AUTH_TYPE: expected one of ${Object.keys(AUTH_TYPES).join(', ')} (got "${rawAuthType}")`,
      );
      return undefined;
    }
  } else {
    const candidates: Array<[DatabricksAuthSettings['authType'], string]> = [];
    if (token) candidates.push(['pat', 'DATABRICKS_TOKEN']);
    if (clientSecret) candidates.push(['oauth-m2m', 'DATABRICKS_CLIENT_SECRET']);
    if (issuer || oidcToken || oidcTokenFile) {
      candidates.push(['oidc-federation', 'LAKELOOP_OIDC_ISSUER / DATABRICKS_OIDC_TOKEN(_FILE)']);
    }
    if (candidates.length === 0) {
      problems.push(
        'DATABRICKS_AUTH_TYPE: no credentials found — set DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET ' +
          '(oauth-m2m), LAKELOOP_OIDC_ISSUER or DATABRICKS_OIDC_TOKEN_FILE (oidc-federation), or DATABRICKS_TOKEN (pat)',
      );
      return undefined;
    }
    if (candidates.length > 1) {
      problems.push(
        `DATABRICKS_AUTH_TYPE: credentials for several methods are set (${candidates.map(([, v]) => v).join(', ')}); ` +
          `set DATABRICKS_AUTH_TYPE to one of ${candidates.map(([t]) => t).join(', ')}`,
      );
      return undefined;
    }
    authType = candidates[0]![0];
  }
  if (!host) return undefined;

  switch (authType) {
    case 'pat':
      if (!token) return void problems.push('DATABRICKS_TOKEN: required for DATABRICKS_AUTH_TYPE=pat');
      return { authType, host, token };
    case 'oauth-m2m': {
      const endpoints = loadOAuthEndpointSettings({ accountId, discoveryUrl }, host, problems);
      if (!clientId)
        problems.push(
          "DATABRICKS_CLIENT_ID: required for oauth-m2m — the service principal's application id",
        );
      if (!clientSecret)
        problems.push(
          "DATABRICKS_CLIENT_SECRET: required for oauth-m2m — the service principal's OAuth secret",
        );
      return clientId && clientSecret && endpoints
        ? { authType, host, clientId, clientSecret, ...endpoints }
        : undefined;
    }
    case 'oidc-federation': {
      const endpoints = loadOAuthEndpointSettings({ accountId, discoveryUrl }, host, problems);
      const subject = federationSubject({ issuer, oidcToken, oidcTokenFile }, problems, read);
      return subject && endpoints
        ? { authType, host, ...(clientId ? { clientId } : {}), subject, ...endpoints }
        : undefined;
    }
  }
}

function federationSubject(
  inputs: { issuer?: string; oidcToken?: string; oidcTokenFile?: string },
  problems: string[],
  read: (name: (typeof DATABRICKS_ENV)[number]) => string | undefined,
): SubjectTokenSource | undefined {
  const sources = [inputs.issuer, inputs.oidcTokenFile, inputs.oidcToken].filter(
    (v) => v !== undefined,
  ).length;
  if (sources > 1) {
    problems.push(
      'LAKELOOP_OIDC_ISSUER / DATABRICKS_OIDC_TOKEN_FILE / DATABRICKS_OIDC_TOKEN: set exactly one source of the identity provider token',
    );
    return undefined;
  }
  if (inputs.oidcTokenFile) return { kind: 'file', path: inputs.oidcTokenFile };
  if (inputs.oidcToken) return { kind: 'env', token: inputs.oidcToken };
  if (!inputs.issuer) {
    problems.push(
      'LAKELOOP_OIDC_ISSUER: oidc-federation needs the identity provider — set LAKELOOP_OIDC_ISSUER with ' +
        'LAKELOOP_OIDC_CLIENT_ID and LAKELOOP_OIDC_CLIENT_SECRET, or DATABRICKS_OIDC_TOKEN_FILE',
    );
    return undefined;
  }
  let issuerUrl: URL | undefined;
  try {
    issuerUrl = new URL(inputs.issuer);
  } catch {
    problems.push(
      `LAKELOOP_OIDC_ISSUER: expected the issuer URL, e.g. https://company.okta.com (got "${inputs.issuer}")`,
    );
  }
  const clientId = read('LAKELOOP_OIDC_CLIENT_ID');
  const clientSecret = read('LAKELOOP_OIDC_CLIENT_SECRET');
  if (!clientId)
    problems.push(
      'LAKELOOP_OIDC_CLIENT_ID: required with LAKELOOP_OIDC_ISSUER — the client registered at the identity provider',
    );
  if (!clientSecret)
    problems.push(
      'LAKELOOP_OIDC_CLIENT_SECRET: required with LAKELOOP_OIDC_ISSUER (or LAKELOOP_OIDC_CLIENT_SECRET_FILE)',
    );
  if (!issuerUrl || !clientId || !clientSecret) return undefined;
  const audience = read('LAKELOOP_OIDC_AUDIENCE');
  const scope = read('LAKELOOP_OIDC_SCOPE');
  return {
    kind: 'idp-client-credentials',
    issuer: issuerUrl.href.replace(/\/$/, ''),
    clientId,
    clientSecret,
    ...(audience ? { audience } : {}),
    ...(scope ? { scope } : {}),
  };
}

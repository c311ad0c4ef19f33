import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, startCli } from './cli-process.js';

describe('npm run emulator', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'emulator-cli-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints exactly the listening line, serves the API with the given PATs, and exits 0 on SIGTERM', async () => {
    const patFile = path.join(dir, 'pats');
    writeFileSync(patFile, 'dapi-from-file\n\n');
    const statePath = path.join(dir, 'state.json');
    const emulator = await startCli([
      '--port',
      '0',
      '--pat',
      'dapi-from-flag',
      '--pat-file',
      patFile,
      '--state',
      statePath,
      '--verbose',
    ]);
    try {
      for (const token of ['dapi-from-flag', 'dapi-from-file']) {
        const response = await fetch(`${emulator.url}/api/2.1/jobs/list`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.status).toBe(200);
      }
      const denied = await fetch(`${emulator.url}/api/2.1/jobs/list`, {
        headers: { authorization: 'Bearer dapi-wrong' },
      });
      expect(denied.status).toBe(401);
    } finally {
      emulator.child.kill('SIGTERM');
    }
    expect(await emulator.exited).toBe(0);
    expect(emulator.stdout).toEqual([`emulator listening on ${emulator.url}`]);
    // --verbose logs requests, never tokens.
    expect(emulator.stderr.some((line) => line.includes('/api/2.1/jobs/list'))).toBe(true);
    expect(emulator.stderr.join('\n')).not.toMatch(/dapi-from|dapi-wrong/);
  });

  test('a service principal alone is a credential source: OAuth M2M with --token-ttl, secrets never logged', async () => {
    const spFile = path.join(dir, 'service-principals');
    writeFileSync(spFile, 'sp-from-file:dose-file-secret-7c2e\n\n');
    const emulator = await startCli([
      '--service-principal',
      'sp-from-flag:dose-flag-secret-91ab:Nightly trainer',
      '--service-principal-file',
      spFile,
      '--federation-policy',
      JSON.stringify({
        issuer: 'https://idp.example',
        audiences: ['databricks'],
        subject: 'ci',
        client_id: 'sp-from-flag',
      }),
      '--token-ttl',
      '120',
      '--verbose',
    ]);
    const seen: string[] = [];
    try {
      const discovery = (await (
        await fetch(`${emulator.url}/oidc/.well-known/oauth-authorization-server`)
      ).json()) as {
        token_endpoint: string;
      };
      expect(discovery.token_endpoint).toBe(`${emulator.url}/oidc/v1/token`);
      for (const [id, secret, name] of [
        ['sp-from-flag', 'dose-flag-secret-91ab', 'Nightly trainer'],
        ['sp-from-file', 'dose-file-secret-7c2e', 'sp-from-file'],
      ]) {
        const response = await fetch(discovery.token_endpoint, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials&scope=all-apis',
        });
        const token = (await response.json()) as { access_token: string; expires_in: number };
        expect(token.expires_in).toBe(120);
        seen.push(token.access_token);
        const me = await fetch(`${emulator.url}/api/2.0/preview/scim/v2/Me`, {
          headers: { authorization: `Bearer ${token.access_token}` },
        });
        expect(await me.json()).toMatchObject({ applicationId: id, displayName: name });
      }
    } finally {
      expect(await emulator.stop()).toBe(0);
    }
    expect(emulator.stdout).toEqual([`emulator listening on ${emulator.url}`]);
    expect(emulator.stderr.some((line) => line.includes('POST /oidc/v1/token 200'))).toBe(true);
    const output = emulator.stderr.join('\n');
    for (const secret of ['dose-flag-secret-91ab', 'dose-file-secret-7c2e', ...seen]) {
      expect(output).not.toContain(secret);
    }
  });

  test.each([
    [['--federation-policy', '{"issuer": "https://idp.example"}'], /--federation-policy: audiences: /],
    [['--federation-policy', '{not json'], /--federation-policy expects a JSON object/],
    [
      [
        '--pat',
        'p',
        '--federation-policy',
        '{"issuer":"https://i.example","audiences":["a"],"subject":"s","client_id":"ghost"}',
      ],
      /names client_id ghost, which is not a --service-principal/,
    ],
    [
      [
        '--pat',
        'p',
        '--federation-policy',
        '{"issuer":"https://i.example","audiences":["a"],"client_id":"x"}',
      ],
      /must name a subject/,
    ],
    [['--service-principal', 'just-an-id'], /--service-principal expects ID:SECRET/],
    [
      ['--service-principal', 'a:b', '--token-ttl', '0'],
      /--token-ttl \(tokenTtlSeconds\) must be a whole number/,
    ],
    [['--service-principal', 'a:b', '--token-ttl', 'soon'], /--token-ttl expects a number/],
  ])('bad identity flags are usage errors (exit 2): %j', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain('just-an-id');
  });

  test('refuses to start without a credential source', async () => {
    const { code, stdout, stderr } = await runCli(['--port', '0']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('at least one credential source');
  });
});

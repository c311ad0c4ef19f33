/**
 * Key-ring parsing and the codec settings: every mistake is named by variable (and key id), and no
 * message ever contains key material or the token.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parseKeyRing } from '../../src/codec/key-ring.js';
import { loadCodecKeys, loadCodecServerConfig } from '../../src/config/codec.js';
import { ConfigError, KNOWN_ENV_NAMES, loadConfig } from '../../src/config/index.js';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');
const SHORT_KEY = randomBytes(16).toString('base64');
const TOKEN = randomBytes(32).toString('base64');
const SECRETS = [KEY_A, KEY_B, SHORT_KEY, TOKEN];

function problemsOfKeys(keys: string, active?: string): string[] {
  const problems: string[] = [];
  expect(parseKeyRing(keys, active, problems)).toBeUndefined();
  expect(problems.length).toBeGreaterThan(0);
  for (const secret of SECRETS) expect(problems.join('\n')).not.toContain(secret);
  return problems;
}

function serverProblems(env: Record<string, string>): string[] {
  try {
    loadCodecServerConfig({ LAKELOOP_STACK_ENV: 'off', ...env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const secret of SECRETS) expect(err.message).not.toContain(secret);
    return err.problems;
  }
  throw new Error('expected a ConfigError');
}

describe('parseKeyRing', () => {
  test('one key is active by itself; several need the active id; commas or new lines separate them', () => {
    const problems: string[] = [];
    const single = parseKeyRing(`k1:${KEY_A}`, undefined, problems);
    expect(single?.activeKeyId).toBe('k1');
    expect(single?.keys.get('k1')).toEqual(Buffer.from(KEY_A, 'base64'));

    const two = parseKeyRing(`2026-01:${KEY_B}\n 2025-07:${KEY_A} ,\n`, '2025-07', problems);
    expect(two?.activeKeyId).toBe('2025-07');
    expect([...two!.keys.keys()]).toEqual(['2026-01', '2025-07']);
    expect(problems).toEqual([]);
  });

  test('accepts URL-safe and unpadded base64', () => {
    const problems: string[] = [];
    const urlSafe = Buffer.from(KEY_A, 'base64').toString('base64url');
    expect(parseKeyRing(`k:${urlSafe}`, undefined, problems)?.keys.get('k')).toEqual(
      Buffer.from(KEY_A, 'base64'),
    );
    expect(problems).toEqual([]);
  });

  test('a key that is not 32 bytes is named by id, with its length and how to make a good one', () => {
    expect(problemsOfKeys(`short:${SHORT_KEY}`)).toEqual([
      'LAKELOOP_CODEC_KEYS: key "short" is 16 bytes after base64 decoding; AES-256 needs exactly 32 ' +
        '(generate one with `openssl rand -base64 32`)',
    ]);
  });

  test('bad format, bad base64, duplicates: each named, never echoing the entry', () => {
    expect(problemsOfKeys(KEY_A)).toEqual([
      expect.stringMatching(/^LAKELOOP_CODEC_KEYS: entry 1 is not id:base64key/),
    ]);
    expect(problemsOfKeys(`k1:${KEY_A},bad id:${KEY_B}`)).toEqual([
      expect.stringMatching(/^LAKELOOP_CODEC_KEYS: entry 2 is not id:base64key/),
    ]);
    expect(problemsOfKeys('k1:not*base64!')).toEqual([
      'LAKELOOP_CODEC_KEYS: key "k1" is not base64 (generate one with `openssl rand -base64 32`)',
    ]);
    expect(problemsOfKeys(`k1:${KEY_A},k1:${KEY_B}`)).toEqual([
      'LAKELOOP_CODEC_KEYS: key id "k1" appears more than once; each id must name one key',
    ]);
    expect(problemsOfKeys(' , ')).toEqual([expect.stringMatching(/^LAKELOOP_CODEC_KEYS: no keys found/)]);
  });

  test('the active id must name a configured key, and is required with several keys', () => {
    expect(problemsOfKeys(`a:${KEY_A},b:${KEY_B}`, 'c')).toEqual([
      'LAKELOOP_CODEC_ACTIVE_KEY_ID: "c" is not one of the key ids in LAKELOOP_CODEC_KEYS (a, b)',
    ]);
    expect(problemsOfKeys(`a:${KEY_A},b:${KEY_B}`)).toEqual([
      expect.stringMatching(
        /^LAKELOOP_CODEC_ACTIVE_KEY_ID: required when LAKELOOP_CODEC_KEYS holds more than one key \(a, b\)/,
      ),
    ]);
  });
});

describe('codec settings', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-codec-'));

  test('encryption is off without LAKELOOP_CODEC_KEYS, and an active id alone is a mistake', () => {
    const problems: string[] = [];
    expect(loadCodecKeys({}, problems)).toBeUndefined();
    expect(problems).toEqual([]);
    loadCodecKeys({ LAKELOOP_CODEC_ACTIVE_KEY_ID: 'k1' }, problems);
    expect(problems).toEqual([
      expect.stringMatching(/^LAKELOOP_CODEC_ACTIVE_KEY_ID: set, but LAKELOOP_CODEC_KEYS/),
    ]);
  });

  test('keys come from LAKELOOP_CODEC_KEYS_FILE (a mounted secret, one per line)', () => {
    const file = path.join(tmp, 'codec-keys');
    writeFileSync(file, `old:${KEY_A}\nnew:${KEY_B}\n`);
    const problems: string[] = [];
    const ring = loadCodecKeys(
      { LAKELOOP_CODEC_KEYS_FILE: file, LAKELOOP_CODEC_ACTIVE_KEY_ID: 'new' },
      problems,
    );
    expect(problems).toEqual([]);
    expect(ring?.activeKeyId).toBe('new');
    expect(ring?.keys.size).toBe(2);
  });

  test('loadConfig carries the keys to the worker and clients, and fails on bad ones', () => {
    const profile = path.join(tmp, 'temporal.toml');
    writeFileSync(profile, '[profile.default]\n');
    const base = { TEMPORAL_CONFIG_FILE: profile, DATABRICKS_CONFIG_FILE: path.join(tmp, 'none') };
    expect(loadConfig(base).codecKeys).toBeUndefined();
    expect(loadConfig({ ...base, LAKELOOP_CODEC_KEYS: `k1:${KEY_A}` }).codecKeys?.activeKeyId).toBe('k1');
    expect(() => loadConfig({ ...base, LAKELOOP_CODEC_KEYS: `k1:${SHORT_KEY}` })).toThrow(
      /LAKELOOP_CODEC_KEYS: key "k1" is 16 bytes/,
    );
  });

  test('the codec server needs keys and a long token; origins must be exact', () => {
    expect(serverProblems({})).toEqual([
      expect.stringMatching(/^LAKELOOP_CODEC_KEYS: required/),
      expect.stringMatching(/^LAKELOOP_CODEC_AUTH_TOKEN: required/),
    ]);
    expect(
      serverProblems({
        LAKELOOP_CODEC_KEYS: `k1:${KEY_A}`,
        LAKELOOP_CODEC_AUTH_TOKEN: 'too-short',
        LAKELOOP_CODEC_CORS_ORIGIN: 'http://localhost:8233/',
        LAKELOOP_CODEC_PORT: 'eighty',
      }),
    ).toEqual([
      expect.stringMatching(/^LAKELOOP_CODEC_AUTH_TOKEN: expected at least 32 characters/),
      expect.stringMatching(/^LAKELOOP_CODEC_CORS_ORIGIN: expected the Temporal UI origin/),
      expect.stringMatching(/^LAKELOOP_CODEC_PORT: expected a port number/),
    ]);
    expect(
      serverProblems({ LAKELOOP_CODEC_KEYS: `k1:${SHORT_KEY}`, LAKELOOP_CODEC_AUTH_TOKEN: TOKEN }),
    ).toEqual([expect.stringMatching(/^LAKELOOP_CODEC_KEYS: key "k1" is 16 bytes/)]);
  });

  test('valid settings, with defaults, the token from a file and several origins', () => {
    const tokenFile = path.join(tmp, 'codec-token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const settings = loadCodecServerConfig({
      LAKELOOP_STACK_ENV: 'off',
      LAKELOOP_CODEC_KEYS: `k1:${KEY_A}`,
      LAKELOOP_CODEC_AUTH_TOKEN_FILE: tokenFile,
      LAKELOOP_CODEC_CORS_ORIGIN: 'http://localhost:8233, https://temporal.example.com',
    });
    expect(settings).toMatchObject({
      authToken: TOKEN,
      corsOrigins: ['http://localhost:8233', 'https://temporal.example.com'],
      host: '127.0.0.1',
      port: 8888,
    });
    expect(settings.keyRing.activeKeyId).toBe('k1');
  });

  test('every codec variable is a known name (docker-compose may set them)', () => {
    for (const name of [
      'LAKELOOP_CODEC_KEYS',
      'LAKELOOP_CODEC_KEYS_FILE',
      'LAKELOOP_CODEC_ACTIVE_KEY_ID',
      'LAKELOOP_CODEC_AUTH_TOKEN',
      'LAKELOOP_CODEC_AUTH_TOKEN_FILE',
      'LAKELOOP_CODEC_CORS_ORIGIN',
      'LAKELOOP_CODEC_HOST',
      'LAKELOOP_CODEC_PORT',
    ]) {
      expect(KNOWN_ENV_NAMES).toContain(name);
    }
  });
});

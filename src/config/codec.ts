/**
 * Payload encryption settings. The keys (LAKELOOP_CODEC_KEYS, LAKELOOP_CODEC_ACTIVE_KEY_ID) are read by
 * everything that talks to Temporal — worker, CLI, webhook receiver — and switch encryption on when
 * set; the codec server (`npm run codec-server`) also needs its token, UI origin and address.
 */
import { z } from 'zod';
import { KEY_RING_ENV, parseKeyRing, type KeyRing } from '../codec/key-ring.js';
import { ConfigError, describeIssues, environmentWithStack, readSetting, type Env } from './env.js';

export const CODEC_SERVER_ENV = {
  authToken: 'LAKELOOP_CODEC_AUTH_TOKEN',
  corsOrigins: 'LAKELOOP_CODEC_CORS_ORIGIN',
  host: 'LAKELOOP_CODEC_HOST',
  port: 'LAKELOOP_CODEC_PORT',
} as const;

/** Every codec variable, `_FILE` twins of the secrets included (the way to mount them). */
export const CODEC_ENV_NAMES: readonly string[] = [
  KEY_RING_ENV.keys,
  `${KEY_RING_ENV.keys}_FILE`,
  KEY_RING_ENV.activeKeyId,
  ...Object.values(CODEC_SERVER_ENV),
  `${CODEC_SERVER_ENV.authToken}_FILE`,
];

/** The key ring, or undefined when encryption is off (LAKELOOP_CODEC_KEYS and its _FILE unset). */
export function loadCodecKeys(env: Env, problems: string[]): KeyRing | undefined {
  const keys = readSetting(env, KEY_RING_ENV.keys, problems);
  const activeKeyId = readSetting(env, KEY_RING_ENV.activeKeyId, problems);
  if (keys === undefined) {
    if (activeKeyId !== undefined) {
      problems.push(
        `${KEY_RING_ENV.activeKeyId}: set, but ${KEY_RING_ENV.keys} (or ${KEY_RING_ENV.keys}_FILE) is not: ` +
          'give the keys too, or unset both to turn payload encryption off',
      );
    }
    return undefined;
  }
  return parseKeyRing(keys, activeKeyId, problems);
}

/** An exact browser origin: scheme, host and port, no path (what the browser sends in `Origin`). */
const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}, 'expected the Temporal UI origin, e.g. http://localhost:8233 (scheme, host and port, no path or trailing "/"); several separated by commas');

const codecServerSchema = z.object({
  authToken: z
    .string({
      message:
        'required: the token callers send as "Authorization: Bearer …" (e.g. `openssl rand -base64 32`)',
    })
    .min(
      32,
      'expected at least 32 characters (it guards decryption of every payload), e.g. `openssl rand -base64 32`',
    ),
  corsOrigins: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    )
    .pipe(z.array(origin))
    .default([]),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535).default(8888),
});

export interface CodecServerSettings extends z.infer<typeof codecServerSchema> {
  keyRing: KeyRing;
}

/** Loads and validates the codec server's settings; throws one ConfigError listing every problem. */
export function loadCodecServerConfig(env: Env = environmentWithStack()): CodecServerSettings {
  const problems: string[] = [];
  const keyRing = loadCodecKeys(env, problems);
  if (!keyRing && problems.length === 0) {
    problems.push(
      `${KEY_RING_ENV.keys}: required — id:base64key entries, the same keys the worker uses ` +
        '(or LAKELOOP_CODEC_KEYS_FILE)',
    );
  }
  const raw = Object.fromEntries(
    Object.entries(CODEC_SERVER_ENV).map(([field, variable]) => [
      field,
      readSetting(env, variable, problems),
    ]),
  );
  const parsed = codecServerSchema.safeParse(raw);
  if (!parsed.success) problems.push(...describeIssues(parsed.error, CODEC_SERVER_ENV));
  if (problems.length > 0 || !keyRing || !parsed.success) throw new ConfigError(problems);
  return { ...parsed.data, keyRing };
}

/**
 * The payload codec's keys. `LAKELOOP_CODEC_KEYS` lists every key that may still decrypt history as
 * `id:base64key` entries (commas or new lines between them, so a mounted secret file can hold one per
 * line); `LAKELOOP_CODEC_ACTIVE_KEY_ID` names the one that encrypts new payloads. Rotation is adding a
 * key, making it active, and dropping the old one only once no retained history uses it.
 *
 * Problems name the variable and the key id, never the key material: these lines end up in logs.
 */

/** AES-256 needs exactly this many bytes of key. */
export const AES_256_KEY_BYTES = 32;

/** Key ids travel in payload metadata in clear text; a short, plain alphabet keeps them unambiguous. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Standard or URL-safe base64, padded or not (what `openssl rand -base64 32` and most vaults print). */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * The payload encryption keys (LAKELOOP_CODEC_KEYS): the one that encrypts, and every one that may
 * decrypt.
 */
export interface KeyRing {
  /** The key id that encrypts new payloads. */
  readonly activeKeyId: string;
  /** Every key that decrypts, by id (the active one included). */
  readonly keys: ReadonlyMap<string, Buffer>;
}

export interface KeyRingVariableNames {
  keys: string;
  activeKeyId: string;
}

export const KEY_RING_ENV: KeyRingVariableNames = {
  keys: 'LAKELOOP_CODEC_KEYS',
  activeKeyId: 'LAKELOOP_CODEC_ACTIVE_KEY_ID',
};

const GENERATE_HINT = 'generate one with `openssl rand -base64 32`';

/**
 * Parses the key list and picks the active key. Appends one line per problem to `problems` and returns
 * undefined when there is any; a single key is active without LAKELOOP_CODEC_ACTIVE_KEY_ID.
 */
export function parseKeyRing(
  keysText: string,
  activeKeyId: string | undefined,
  problems: string[],
  names: KeyRingVariableNames = KEY_RING_ENV,
): KeyRing | undefined {
  const before = problems.length;
  const keys = new Map<string, Buffer>();
  const entries = keysText
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) {
    problems.push(`${names.keys}: no keys found; expected id:base64key entries (${GENERATE_HINT})`);
    return undefined;
  }
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon).trim() : '';
    const encoded = colon > 0 ? entry.slice(colon + 1).trim() : '';
    // The entry itself is never quoted: a malformed one may be nothing but key material.
    if (!KEY_ID.test(id) || encoded === '') {
      problems.push(
        `${names.keys}: entry ${index + 1} is not id:base64key (the id is 1–64 letters, digits, ".", "_" or "-")`,
      );
      return;
    }
    if (!BASE64.test(encoded)) {
      problems.push(`${names.keys}: key "${id}" is not base64 (${GENERATE_HINT})`);
      return;
    }
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== AES_256_KEY_BYTES) {
      problems.push(
        `${names.keys}: key "${id}" is ${key.length} bytes after base64 decoding; AES-256 needs exactly ` +
          `${AES_256_KEY_BYTES} (${GENERATE_HINT})`,
      );
      return;
    }
    if (keys.has(id)) {
      problems.push(`${names.keys}: key id "${id}" appears more than once; each id must name one key`);
      return;
    }
    keys.set(id, key);
  });
  if (problems.length > before) return undefined;

  const ids = [...keys.keys()];
  let active = activeKeyId?.trim() || undefined;
  if (active === undefined) {
    if (ids.length > 1) {
      problems.push(
        `${names.activeKeyId}: required when ${names.keys} holds more than one key (${ids.join(', ')}): ` +
          'the id of the key that encrypts new payloads',
      );
      return undefined;
    }
    active = ids[0]!;
  } else if (!keys.has(active)) {
    problems.push(
      `${names.activeKeyId}: "${active}" is not one of the key ids in ${names.keys} (${ids.join(', ')})`,
    );
    return undefined;
  }
  return { activeKeyId: active, keys };
}

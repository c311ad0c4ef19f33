/**
 * The AES-256-GCM payload codec on its own: round trip, rotation, tampering, unknown keys. Payloads
 * come from the SDK's default payload converter, exactly what a workflow's input looks like.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  METADATA_ENCRYPTION_KEY_ID,
  PayloadDecryptionError,
} from '../../src/codec/index.js';
import { parseKeyRing, type KeyRing } from '../../src/codec/key-ring.js';

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');

function ring(keys: string, active?: string): KeyRing {
  const problems: string[] = [];
  const parsed = parseKeyRing(keys, active, problems);
  expect(problems).toEqual([]);
  return parsed!;
}

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const INPUT = { jobName: 'nightly-churn-secret', jobParameters: { customer: 'ACME Corp' } };

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('AesGcmPayloadCodec', () => {
  const original: Payload[] = [
    defaultPayloadConverter.toPayload(INPUT),
    defaultPayloadConverter.toPayload(null),
    defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3])),
    defaultPayloadConverter.toPayload('x'.repeat(100_000)),
  ];

  test('round trip: the whole payload is ciphertext, and decodes to the original metadata and data', async () => {
    const codec = new AesGcmPayloadCodec(ring(`k1:${OLD_KEY}`));
    const encoded = await codec.encode(original);

    expect(encoded).toHaveLength(original.length);
    for (const payload of encoded) {
      expect(Object.keys(payload.metadata!).sort()).toEqual(['encoding', METADATA_ENCRYPTION_KEY_ID]);
      expect(text(payload.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(payload.metadata![METADATA_ENCRYPTION_KEY_ID])).toBe('k1');
      // Neither the value nor its original encoding is visible.
      expect(text(payload.data)).not.toContain('nightly-churn-secret');
      expect(text(payload.data)).not.toContain('json/plain');
    }
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => ({ metadata: p.metadata, data: p.data }))).toEqual(
      original.map((p) => ({ metadata: p.metadata, data: p.data })),
    );
    expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual(INPUT);
    expect(defaultPayloadConverter.fromPayload(decoded[1]!)).toBeNull();
  });

  test('a fresh IV per payload: the same value never encrypts to the same bytes', async () => {
    const codec = new AesGcmPayloadCodec(ring(`k1:${OLD_KEY}`));
    const [a, b] = await codec.encode([original[0]!, original[0]!]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
  });

  test('payloads that are not encrypted (history from before encryption) pass through decode', async () => {
    const codec = new AesGcmPayloadCodec(ring(`k1:${OLD_KEY}`));
    expect(await codec.decode(original)).toEqual(original);
  });

  test('rotation: payloads encrypted with the old key still decrypt after the new key becomes active', async () => {
    const before = new AesGcmPayloadCodec(ring(`old:${OLD_KEY}`));
    const encryptedWithOld = await before.encode([original[0]!]);

    const after = new AesGcmPayloadCodec(ring(`old:${OLD_KEY},new:${NEW_KEY}`, 'new'));
    expect(after.activeKeyId).toBe('new');
    const [decoded] = await after.decode(encryptedWithOld);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(INPUT);

    const [encryptedWithNew] = await after.encode([original[0]!]);
    expect(text(encryptedWithNew!.metadata![METADATA_ENCRYPTION_KEY_ID])).toBe('new');
    // Once the old key is dropped, new payloads still read and old ones fail with the key id named.
    const newOnly = new AesGcmPayloadCodec(ring(`new:${NEW_KEY}`));
    expect(defaultPayloadConverter.fromPayload((await newOnly.decode([encryptedWithNew!]))[0]!)).toEqual(
      INPUT,
    );
    const error = await failureOf(newOnly.decode(encryptedWithOld));
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error.message).toContain('"old"');
  });

  test('a payload encrypted with a key id that is not configured fails with that key id named', async () => {
    const other = new AesGcmPayloadCodec(ring(`retired-2025:${OLD_KEY}`));
    const encoded = await other.encode([original[0]!]);
    const codec = new AesGcmPayloadCodec(ring(`k1:${NEW_KEY}`));
    const error = await failureOf(codec.decode(encoded));
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error.message).toMatch(/key id "retired-2025".*not among the configured keys \(k1\)/);
    expect(error.message).not.toContain(OLD_KEY);
    expect(error.message).not.toContain(NEW_KEY);
  });

  test.each([
    ['a ciphertext byte', (data: Buffer) => void (data[20] = data[20]! ^ 0x01)],
    ['an IV byte', (data: Buffer) => void (data[0] = data[0]! ^ 0x80)],
    ['a tag byte', (data: Buffer) => void (data[data.length - 1] = data[data.length - 1]! ^ 0x01)],
  ])('tampering with %s fails authentication instead of decoding junk', async (_what, tamper) => {
    const codec = new AesGcmPayloadCodec(ring(`k1:${OLD_KEY}`));
    const [encoded] = await codec.encode([original[0]!]);
    const data = Buffer.from(encoded!.data!);
    tamper(data);
    const error = await failureOf(codec.decode([{ ...encoded!, data }]));
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error.message).toContain('key id "k1" failed authentication');
  });

  test('a different key under the same id fails authentication', async () => {
    const [encoded] = await new AesGcmPayloadCodec(ring(`k1:${OLD_KEY}`)).encode([original[0]!]);
    const error = await failureOf(new AesGcmPayloadCodec(ring(`k1:${NEW_KEY}`)).decode([encoded!]));
    expect(error.message).toContain('failed authentication');
  });

  test('a truncated payload or one without a key id is refused clearly', async () => {
    const codec = new AesGcmPayloadCodec(ring(`k1:${OLD_KEY}`));
    const [encoded] = await codec.encode([original[0]!]);
    const truncated = { ...encoded!, data: Buffer.from(encoded!.data!).subarray(0, 20) };
    expect((await failureOf(codec.decode([truncated]))).message).toContain('truncated');
    const noKeyId = { data: encoded!.data, metadata: { encoding: encoded!.metadata!.encoding! } };
    expect((await failureOf(codec.decode([noKeyId]))).message).toContain('no "encryption-key-id"');
  });
});

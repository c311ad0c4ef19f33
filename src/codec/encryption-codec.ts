/**
 * AES-256-GCM payload encryption, the shape of Temporal's encryption samples: each Payload (metadata
 * and data) is serialized as a protobuf message and encrypted whole, so not even its encoding is
 * visible; the stored payload says only `encoding: binary/encrypted` and which key encrypted it.
 *
 * Plain protobuf encoding and a 12-byte random IV ‖ ciphertext ‖ 16-byte GCM tag layout, as in the Go
 * and Python samples (the TypeScript sample length-prefixes the message), so a codec written in those
 * languages can read Lakeloop's payloads. GCM authenticates: a changed byte or a wrong key fails
 * loudly instead of decoding junk.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { KeyRing } from './key-ring.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PayloadMessage = proto.temporal.api.common.v1.Payload;

/** A payload that claims to be encrypted but cannot be decrypted here; the message names the key id. */
export class PayloadDecryptionError extends ValueError {
  constructor(message: string) {
    super(message);
    // ValueError's name is a read-only prototype property (the SDK's cross-realm instanceof marker).
    Object.defineProperty(this, 'name', { value: 'PayloadDecryptionError' });
  }
}

const text = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes ? Buffer.from(bytes).toString('utf8') : undefined;

/**
 * Lakeloop's payload codec: AES-256-GCM with the key ring's active key; decodes with any key of the
 * ring. Give it to your Client and Worker (or use {@link dataConverterFor}) so they read each other's payloads.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyRing: KeyRing) {}

  get activeKeyId(): string {
    return this.keyRing.activeKeyId;
  }

  /** Encrypts each payload whole with the active key. */
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  /**
   * Decrypts encrypted payloads with the key each names. Payloads that are not encrypted (history from
   * before encryption was turned on) pass through.
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const keyId = this.keyRing.activeKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.keyRing.keys.get(keyId)!, iv);
    const plaintext = PayloadMessage.encode(payload).finish();
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [METADATA_ENCRYPTION_KEY_ID]: Buffer.from(keyId),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]);
    if (!keyId) {
      throw new PayloadDecryptionError(
        `an encrypted payload has no "${METADATA_ENCRYPTION_KEY_ID}" metadata`,
      );
    }
    const key = this.keyRing.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `a payload is encrypted with key id "${keyId}", which is not among the configured keys ` +
          `(${[...this.keyRing.keys.keys()].join(', ')}); add it back to LAKELOOP_CODEC_KEYS to read it`,
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`a payload encrypted with key id "${keyId}" is truncated`);
    }
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plaintext = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new PayloadDecryptionError(
        `a payload encrypted with key id "${keyId}" failed authentication: it was altered, or a ` +
          'different key is configured under that id',
      );
    }
    const decoded = PayloadMessage.decode(plaintext);
    // A plain object, without the proto defaults (empty data, external payloads) the original lacked.
    return {
      metadata: decoded.metadata,
      ...(Object.prototype.hasOwnProperty.call(decoded, 'data') ? { data: decoded.data } : {}),
      ...(decoded.externalPayloads.length > 0 ? { externalPayloads: decoded.externalPayloads } : {}),
    };
  }
}

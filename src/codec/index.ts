/**
 * Payload encryption, switched on by LAKELOOP_CODEC_KEYS: the codec, and the data converter every
 * Temporal client and worker in Lakeloop is given when keys are configured (undefined otherwise, which
 * leaves the SDK's default converter in place).
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './encryption-codec.js';
import type { KeyRing } from './key-ring.js';

export {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  METADATA_ENCRYPTION_KEY_ID,
  PayloadDecryptionError,
} from './encryption-codec.js';
export { parseKeyRing, type KeyRing } from './key-ring.js';

/** The payload codec for these keys; undefined (no encryption) without keys. */
export function payloadCodecFor(keyRing: KeyRing | undefined): AesGcmPayloadCodec | undefined {
  return keyRing ? new AesGcmPayloadCodec(keyRing) : undefined;
}

/** A data converter with the payload codec for these keys, for a Client or Worker; undefined without keys. */
export function dataConverterFor(keyRing: KeyRing | undefined): DataConverter | undefined {
  const codec = payloadCodecFor(keyRing);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

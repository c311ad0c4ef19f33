/**
 * Name-based UUIDs (version 5, SHA-1; RFC 9562 §5.5, the successor of RFC 4122 §4.3): the same
 * namespace and name give the same UUID on every worker and every replay, so a pipeline step's
 * OpenLineage run id is derived, never stored. Python's uuid.uuid5 computes the same values (the
 * unit test checks a vector from its documentation).
 */
import { createHash } from 'node:crypto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** uuid5(namespace, name): SHA-1 over the namespace's 16 bytes then the name's UTF-8 bytes. */
export function uuidV5(namespace: string, name: string): string {
  if (!isUuid(namespace)) throw new Error(`uuidV5: the namespace must be a UUID (got "${namespace}")`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10 (RFC 9562)
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

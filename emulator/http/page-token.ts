/**
 * Opaque page tokens. Listing is keyset-paginated ("everything with an id below X"), so a page token
 * stays valid while runs are created or deleted in between, unlike an offset.
 */
import { invalidParameter } from './api-error.js';

export function encodePageToken(lastId: number): string {
  return Buffer.from(`after:${lastId}`).toString('base64url');
}

export function decodePageToken(token: string): number {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  const match = /^after:(\d{1,16})$/.exec(decoded);
  if (!match) throw invalidParameter(`Invalid page_token: ${JSON.stringify(token.slice(0, 80))}`);
  return Number(match[1]);
}

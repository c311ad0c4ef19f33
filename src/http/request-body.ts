/**
 * Reading a request body with a size limit, for Lakeloop's small HTTP servers (the webhook receiver
 * and the codec server): both face the network, so neither may buffer whatever a client sends.
 */
import type { IncomingMessage } from 'node:http';

export class RequestTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body larger than ${limit} bytes`);
  }
}

/** The whole body, or RequestTooLarge as soon as the declared or received length passes `limit`. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      reject(new RequestTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return; // already refused: discard the rest until the 413 closes the connection
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        // Not req.destroy(): that would kill the socket before the 413 is written (the sender saw a reset).
        reject(new RequestTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

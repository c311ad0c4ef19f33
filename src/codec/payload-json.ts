/**
 * The remote codec protocol's body: `{"payloads": [{"metadata": {"encoding": "<base64>"}, "data":
 * "<base64>"}]}` — Payloads in protobuf JSON, where bytes are base64 (standard or URL-safe, padding
 * optional, as proto3 JSON allows). The Temporal UI and CLI send and expect exactly this.
 */
import type { Payload } from '@temporalio/common';
import { z } from 'zod';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');

export const payloadsBodySchema = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).nullish(),
      data: base64.nullish(),
    }),
  ),
});

export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export function payloadFromJson(json: z.infer<typeof payloadsBodySchema>['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(json.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    ...(json.data ? { data: Buffer.from(json.data, 'base64') } : {}),
  };
}

export function payloadToJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value ?? []).toString('base64'),
      ]),
    ),
    ...(payload.data && payload.data.length > 0
      ? { data: Buffer.from(payload.data).toString('base64') }
      : {}),
  };
}

/**
 * Whether the notification destination the worker is configured with can be used on this workspace.
 * Notification destinations are an optional feature (`GET /api/2.0/notification-destinations/{id}`,
 * reference §4): a workspace or proxy without it answers ENDPOINT_NOT_FOUND or FEATURE_DISABLED, and a
 * deleted destination RESOURCE_DOES_NOT_EXIST. In those cases every run would be refused its
 * notifications, so the worker turns webhooks off once, at start, and polls. Reading a destination may
 * need workspace-admin rights a service principal lacks (403): that proves nothing, so the destination
 * is kept and each submission falls back on its own if Databricks refuses it.
 */
import { z } from 'zod';
import { DatabricksApiError } from './errors.js';
import type { DatabricksHttpClient } from './http.js';

const destinationSchema = z.looseObject({
  id: z.string().nullish(),
  destination_type: z.string().nullish(),
});

export type DestinationCheck =
  | { usable: true; destinationType?: string }
  | { usable: false; reason: string }
  | { usable: 'unknown'; reason: string };

const MISSING = new Set([
  'ENDPOINT_NOT_FOUND',
  'FEATURE_DISABLED',
  'NOT_IMPLEMENTED',
  'RESOURCE_DOES_NOT_EXIST',
]);

export async function checkNotificationDestination(
  http: DatabricksHttpClient,
  id: string,
): Promise<DestinationCheck> {
  try {
    const destination = await http.request(
      'GET',
      `/api/2.0/notification-destinations/${encodeURIComponent(id)}`,
      {
        schema: destinationSchema,
      },
    );
    return {
      usable: true,
      ...(destination.destination_type ? { destinationType: destination.destination_type } : {}),
    };
  } catch (err) {
    if (!(err instanceof DatabricksApiError)) throw err;
    if (MISSING.has(err.errorCode) || err.status === 404 || err.status === 501)
      return { usable: false, reason: err.message };
    return { usable: 'unknown', reason: err.message };
  }
}

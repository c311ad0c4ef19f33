import { z } from 'zod';
import type { DatabricksHttpClient } from './http.js';

const meSchema = z.looseObject({
  id: z.string().optional(),
  userName: z.string().optional(),
  displayName: z.string().optional(),
  applicationId: z.string().optional(),
});

export type Principal = z.infer<typeof meSchema>;

/** Who the current token belongs to (a user or a service principal): `/api/2.0/preview/scim/v2/Me`. */
export function getCurrentPrincipal(http: DatabricksHttpClient): Promise<Principal> {
  return http.request('GET', '/api/2.0/preview/scim/v2/Me', { schema: meSchema });
}

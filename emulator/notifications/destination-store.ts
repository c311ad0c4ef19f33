/**
 * Notification destinations (/api/2.0/notification-destinations). The config is stored as sent,
 * secrets included, because the emulator must deliver with them; responses show secrets only as
 * `*_set` booleans. Per the SDK's field docs url, username and password of a generic webhook are all
 * input-only, so GET reports url_set/username_set/password_set (reference §4).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

export const DESTINATION_TYPES = {
  generic_webhook: 'WEBHOOK',
  slack: 'SLACK',
  email: 'EMAIL',
  microsoft_teams: 'MICROSOFT_TEAMS',
  pagerduty: 'PAGERDUTY',
} as const;
export type ConfigKind = keyof typeof DESTINATION_TYPES;

const genericWebhook = z.looseObject({
  url: z.url({ protocol: /^https?$/ }).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
});

export const destinationConfigSchema = z.looseObject({
  generic_webhook: genericWebhook.optional(),
  slack: z.looseObject({ url: z.string().optional() }).optional(),
  email: z.looseObject({ addresses: z.array(z.string()).optional() }).optional(),
  microsoft_teams: z.looseObject({ url: z.string().optional() }).optional(),
  pagerduty: z.looseObject({ integration_key: z.string().optional() }).optional(),
});
export type DestinationConfig = z.infer<typeof destinationConfigSchema>;

export const createDestinationBody = z.looseObject({
  display_name: z.string().optional(),
  config: destinationConfigSchema.optional(),
});
export const updateDestinationBody = createDestinationBody;

export interface Destination {
  id: string;
  displayName: string;
  kind: ConfigKind;
  /** The stored config of `kind`, including secrets. */
  config: Record<string, unknown>;
}

/** Which fields of each config kind are secrets (reported only as `<field>_set`). */
const SECRET_FIELDS: Record<ConfigKind, string[]> = {
  generic_webhook: ['url', 'username', 'password'],
  slack: ['url'],
  microsoft_teams: ['url'],
  pagerduty: ['integration_key'],
  email: [],
};

export function configKinds(config: DestinationConfig): ConfigKind[] {
  return (Object.keys(DESTINATION_TYPES) as ConfigKind[]).filter((kind) => config[kind] !== undefined);
}

export function renderDestination(destination: Destination, withConfig: boolean): Record<string, unknown> {
  const base = {
    id: destination.id,
    display_name: destination.displayName,
    destination_type: DESTINATION_TYPES[destination.kind],
  };
  if (!withConfig) return base;
  const visible: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(destination.config)) {
    if (!SECRET_FIELDS[destination.kind].includes(field)) visible[field] = value;
  }
  for (const field of SECRET_FIELDS[destination.kind]) {
    const value = destination.config[field];
    visible[`${field}_set`] = typeof value === 'string' && value.length > 0;
  }
  return { ...base, config: { [destination.kind]: visible } };
}

export class DestinationStore {
  private readonly destinations = new Map<string, Destination>();

  create(displayName: string, kind: ConfigKind, config: Record<string, unknown>): Destination {
    const destination: Destination = { id: randomUUID(), displayName, kind, config };
    this.destinations.set(destination.id, destination);
    return destination;
  }

  get(id: string): Destination | undefined {
    return this.destinations.get(id);
  }

  put(destination: Destination): void {
    this.destinations.set(destination.id, destination);
  }

  delete(id: string): boolean {
    return this.destinations.delete(id);
  }

  all(): Destination[] {
    return [...this.destinations.values()];
  }

  clear(): void {
    this.destinations.clear();
  }
}

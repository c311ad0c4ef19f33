/** POST/GET list/GET/PATCH/DELETE /api/2.0/notification-destinations (reference §4). */
import { invalidParameter, resourceDoesNotExist } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import { parseWith, queryObject } from '../http/validation.js';
import { int64 } from '../http/validation.js';
import { z } from 'zod';
import type { Services } from '../services.js';
import type { ConfigKind, Destination } from './destination-store.js';
import {
  configKinds,
  createDestinationBody,
  renderDestination,
  updateDestinationBody,
} from './destination-store.js';

const listQuery = z.looseObject({
  page_size: int64.pipe(z.number().min(0).max(1000)).optional(),
  page_token: z.string().optional(),
});
const DEFAULT_PAGE_SIZE = 100;

export function registerDestinationRoutes(router: Router, services: Services): void {
  const store = services.workspace.destinations;
  const versions = ['2.0'] as const;

  const requireDestination = (id: string): Destination => {
    const destination = store.get(id);
    if (!destination) throw resourceDoesNotExist(`Notification destination ${id} does not exist.`);
    return destination;
  };

  router.api('POST', '/notification-destinations', versions, (ctx) => {
    const body = parseWith(createDestinationBody, ctx.body);
    const kinds = configKinds(body.config ?? {});
    if (kinds.length !== 1)
      throw invalidParameter('config must contain exactly one destination configuration.');
    const kind = kinds[0]!;
    const config = { ...(body.config![kind] as Record<string, unknown>) };
    if (kind === 'generic_webhook' && typeof config.url !== 'string') {
      throw invalidParameter('Missing required field: config.generic_webhook.url');
    }
    const destination = store.create(body.display_name ?? '', kind, config);
    services.changed();
    return ok(renderDestination(destination, true));
  });

  router.api('GET', '/notification-destinations', versions, (ctx) => {
    const query = parseWith(listQuery, queryObject(ctx.query));
    const all = store.all();
    const offset = query.page_token ? Number.parseInt(query.page_token, 10) || 0 : 0;
    const size = query.page_size || DEFAULT_PAGE_SIZE;
    const page = all.slice(offset, offset + size);
    return ok({
      results: page.map((d) => renderDestination(d, false)),
      ...(offset + page.length < all.length ? { next_page_token: String(offset + page.length) } : {}),
    });
  });

  router.api('GET', '/notification-destinations/{id}', versions, (ctx) =>
    ok(renderDestination(requireDestination(ctx.params.id!), true)),
  );

  router.api('PATCH', '/notification-destinations/{id}', versions, (ctx) => {
    const destination = requireDestination(ctx.params.id!);
    const body = parseWith(updateDestinationBody, ctx.body);
    if (body.display_name !== undefined) destination.displayName = body.display_name;
    if (body.config !== undefined) {
      const kinds = configKinds(body.config);
      if (kinds.length !== 1)
        throw invalidParameter('config must contain exactly one destination configuration.');
      const kind: ConfigKind = kinds[0]!;
      if (kind !== destination.kind) {
        throw invalidParameter('The type of a notification destination cannot be changed.');
      }
      // Fields not sent keep their value, so a PATCH need not repeat the password.
      destination.config = { ...destination.config, ...(body.config[kind] as Record<string, unknown>) };
    }
    services.changed();
    return ok(renderDestination(destination, true));
  });

  router.api('DELETE', '/notification-destinations/{id}', versions, (ctx) => {
    requireDestination(ctx.params.id!);
    store.delete(ctx.params.id!);
    services.changed();
    return ok({});
  });
}

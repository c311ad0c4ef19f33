/**
 * Control API for identity, so tests can do what an operator does to a running worker's credentials:
 *  - `POST /__emulator/service-principals/{id}/rotate-secret` (optional `{"secret"}`; default random):
 *    the old secret stops working at once, tokens already issued stay valid until they expire;
 *    answers `{client_id, client_secret}`;
 *  - `POST /__emulator/service-principals/{id}/revoke`: the principal is deactivated, its OAuth tokens
 *    stop working (401) and it gets no new ones; answers `{revoked}` (tokens that were still valid);
 *  - `POST /__emulator/tokens/revoke-all`: every OAuth access token issued so far answers 401 from now
 *    on (PATs and task tokens are untouched); answers `{revoked}`.
 * `POST /__emulator/reset` restores the configured secrets and reactivates every principal.
 */
import { z } from 'zod';
import type { ServicePrincipalStore } from '../auth/service-principals.js';
import type { TokenRegistry } from '../auth/token-registry.js';
import { resourceDoesNotExist } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import { parseWith } from '../http/validation.js';

const rotateSchema = z.strictObject({ secret: z.string().min(8).optional() });

export function registerIdentityControlRoutes(
  router: Router,
  servicePrincipals: ServicePrincipalStore,
  tokens: TokenRegistry,
): void {
  router.route('POST', '/__emulator/service-principals/{id}/rotate-secret', (ctx) => {
    const { secret } = parseWith(rotateSchema, ctx.body);
    const rotated = servicePrincipals.rotateSecret(ctx.params.id!, secret);
    if (rotated === undefined) throw unknownPrincipal(ctx.params.id!);
    return ok({ client_id: ctx.params.id, client_secret: rotated });
  });

  router.route('POST', '/__emulator/service-principals/{id}/revoke', (ctx) => {
    const applicationId = ctx.params.id!;
    if (!servicePrincipals.deactivate(applicationId)) throw unknownPrincipal(applicationId);
    return ok({ revoked: tokens.revokeIssued('oauth', (record) => record.principal === applicationId) });
  });

  router.route('POST', '/__emulator/tokens/revoke-all', () => ok({ revoked: tokens.revokeIssued('oauth') }));
}

function unknownPrincipal(applicationId: string): Error {
  return resourceDoesNotExist(`Service principal ${applicationId} does not exist.`);
}

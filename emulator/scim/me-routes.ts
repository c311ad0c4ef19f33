/**
 * `GET /api/2.0/preview/scim/v2/Me`: who the bearer token belongs to. Clients (ours, and the SDKs'
 * `current_user.me()`) use it to check an identity end to end, so it answers for every kind of token:
 * PATs, task tokens, OAuth M2M and federated tokens.
 */
import type { IdentityDirectory } from '../auth/identity-directory.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';

export function registerScimRoutes(router: Router, directory: IdentityDirectory): void {
  router.route('GET', '/api/2.0/preview/scim/v2/Me', (ctx) => ok(directory.me(ctx.principal)));
}

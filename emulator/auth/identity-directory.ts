/**
 * Who a token's principal is, as SCIM describes it (`GET /api/2.0/preview/scim/v2/Me`): a service
 * principal (by application id), or else a user — the one the PATs belong to, or the identity an
 * account-wide federation policy let in under its JWT subject. Like Databricks, a federated subject
 * that names an existing service principal *is* that principal. SCIM ids are stable digests of the
 * name, so they survive a restart.
 */
import { createHash } from 'node:crypto';
import type { ServicePrincipalStore } from './service-principals.js';

const USER_SCHEMAS = [
  'urn:ietf:params:scim:schemas:core:2.0:User',
  'urn:ietf:params:scim:schemas:extension:workspace:2.0:User',
];
const SERVICE_PRINCIPAL_SCHEMAS = ['urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal'];

export class IdentityDirectory {
  constructor(private readonly servicePrincipals: ServicePrincipalStore) {}

  /** The SCIM resource for `principal`, as the Me endpoint returns it. */
  me(principal: string): Record<string, unknown> {
    const sp = this.servicePrincipals.get(principal);
    if (sp) {
      return {
        schemas: SERVICE_PRINCIPAL_SCHEMAS,
        id: scimId(`sp:${sp.applicationId}`),
        applicationId: sp.applicationId,
        userName: sp.applicationId,
        displayName: sp.displayName,
        active: sp.active,
      };
    }
    return {
      schemas: USER_SCHEMAS,
      id: scimId(`user:${principal}`),
      userName: principal,
      displayName: principal,
      active: true,
      ...(principal.includes('@') ? { emails: [{ value: principal, type: 'work', primary: true }] } : {}),
    };
  }
}

/** A 16-digit id like Databricks' SCIM ids, derived from the name. */
function scimId(name: string): string {
  const n = createHash('sha256').update(name).digest().readBigUInt64BE(0) % 9_000_000_000_000_000n;
  return String(n + 1_000_000_000_000_000n);
}

/**
 * Unity Catalog privileges, as the grants API (`/api/2.1/unity-catalog/permissions/{type}/{name}`)
 * manages them and as Databricks documents the checks (databricks-sdk-py, service/catalog.py,
 * RegisteredModelsAPI docstring: every model operation needs USE_CATALOG on the catalog and USE_SCHEMA
 * on the schema; creating a model needs CREATE_MODEL on the schema; reading needs EXECUTE on the model;
 * aliases and new versions need ownership of the model).
 *
 * Privilege Model 1.0: a privilege granted on a catalog or schema is inherited by everything inside it,
 * and ALL_PRIVILEGES stands for every privilege (docs.databricks.com, "Unity Catalog privileges and
 * securable objects", inheritance model). Owners hold every privilege on what they own. A metastore
 * admin passes every check. The group `account users` stands for every principal.
 */
import { permissionDenied } from './uc-errors.js';

export const ACCOUNT_USERS = 'account users';

export type SecurableType = 'catalog' | 'schema' | 'function';

/** How error messages name each securable type ("… on Schema 'main.ml'."). */
const SECURABLE_LABEL: Record<SecurableType, string> = {
  catalog: 'Catalog',
  schema: 'Schema',
  // Models are FUNCTION securables in the grants API (the same docstring).
  function: 'Function',
};

export interface Securable {
  type: SecurableType;
  fullName: string;
  owner: string;
  /** principal → privileges granted directly on this securable. */
  grants: Record<string, string[]>;
}

export class PrivilegeChecker {
  constructor(private readonly admins: ReadonlySet<string>) {}

  isAdmin(principal: string): boolean {
    return this.admins.has(principal);
  }

  /**
   * True when `principal` holds `privilege` on the last securable of `chain` (catalog → schema → model),
   * directly, through `account users`, by ownership, or inherited from an enclosing securable.
   */
  holds(principal: string, privilege: string, chain: readonly Securable[]): boolean {
    if (this.isAdmin(principal)) return true;
    const target = chain[chain.length - 1];
    if (target?.owner === principal) return true;
    return chain.some((securable) =>
      [principal, ACCOUNT_USERS].some((who) => {
        const granted = securable.grants[who] ?? [];
        return granted.includes(privilege) || granted.includes('ALL_PRIVILEGES');
      }),
    );
  }

  /** Throws 403 PERMISSION_DENIED naming the missing privilege and where it is needed. */
  require(principal: string, privilege: string, chain: readonly Securable[]): void {
    if (this.holds(principal, privilege, chain)) return;
    const target = chain[chain.length - 1]!;
    throw permissionDenied(privilege, SECURABLE_LABEL[target.type], target.fullName);
  }

  /** USE_CATALOG on the catalog and USE_SCHEMA on the schema: what every model operation needs. */
  requireUse(principal: string, catalog: Securable, schema: Securable): void {
    this.require(principal, 'USE_CATALOG', [catalog]);
    this.require(principal, 'USE_SCHEMA', [catalog, schema]);
  }

  /** Owner (or admin, or MANAGE) of the securable. */
  requireOwner(principal: string, chain: readonly Securable[]): void {
    const target = chain[chain.length - 1]!;
    if (this.isAdmin(principal) || target.owner === principal) return;
    this.require(principal, 'MANAGE', chain);
  }
}

/** Applies `{principal, add, remove}` changes, as PATCH …/permissions does; returns the assignments. */
export function applyGrantChanges(
  securable: Securable,
  changes: ReadonlyArray<{ principal: string; add?: string[]; remove?: string[] }>,
): void {
  for (const change of changes) {
    const current = new Set(securable.grants[change.principal] ?? []);
    for (const privilege of change.add ?? []) current.add(privilege);
    for (const privilege of change.remove ?? []) current.delete(privilege);
    if (current.size > 0) securable.grants[change.principal] = [...current].sort();
    else delete securable.grants[change.principal];
  }
}

export function privilegeAssignments(securable: Securable): { principal: string; privileges: string[] }[] {
  return Object.entries(securable.grants)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([principal, privileges]) => ({ principal, privileges: [...privileges] }));
}

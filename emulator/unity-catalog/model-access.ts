/**
 * The privilege checks of model operations, shared by the Unity Catalog REST API and MLflow's
 * `databricks-uc` registry endpoints (both reach the same models). From the RegisteredModelsAPI
 * docstring in databricks-sdk-py service/catalog.py: USE_CATALOG + USE_SCHEMA always; CREATE_MODEL on
 * the schema to create; EXECUTE on the model (or ownership) to read metadata and files; ownership to
 * create versions and change aliases or other metadata; APPLY_TAG for tags.
 */
import type { Securable } from './grants.js';
import type { UnityCatalogServices } from './uc-services.js';
import type { ModelRecord } from './uc-store.js';

export type ModelAccess = 'read' | 'write' | 'tag';

/** The model after checking that `principal` may `access` it (404s first, then 403s, as UC orders them). */
export function accessModel(
  uc: UnityCatalogServices,
  principal: string,
  fullName: string,
  access: ModelAccess,
): ModelRecord {
  const { catalog, schema } = uc.store.parentsOf(fullName);
  uc.privileges.requireUse(principal, catalog, schema);
  const model = uc.store.getModel(fullName);
  const chain: Securable[] = [catalog, schema, model];
  if (access === 'read') uc.privileges.require(principal, 'EXECUTE', chain);
  else if (access === 'tag') uc.privileges.require(principal, 'APPLY_TAG', chain);
  else uc.privileges.requireOwner(principal, chain);
  return model;
}

/** Checks that `principal` may create a model named `fullName` (its parents must exist). */
export function checkCreateModel(uc: UnityCatalogServices, principal: string, fullName: string): void {
  const { catalog, schema } = uc.store.parentsOf(fullName);
  uc.privileges.requireUse(principal, catalog, schema);
  uc.privileges.require(principal, 'CREATE_MODEL', [catalog, schema]);
}

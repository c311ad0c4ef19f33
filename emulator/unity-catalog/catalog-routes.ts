/**
 * Unity Catalog catalogs, schemas and grants (`/api/2.1/unity-catalog/catalogs|schemas|permissions`,
 * as databricks-sdk-py service/catalog.py CatalogsAPI, SchemasAPI and GrantsAPI call them): enough for
 * a pipeline's owner to make the schema its models live in and to grant a service principal what it
 * needs there. Creating a catalog needs a metastore admin; a schema, USE_CATALOG and CREATE_SCHEMA on
 * the catalog; changing grants, ownership (or MANAGE) of the securable.
 */
import { z } from 'zod';
import { invalidParameter } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import { flag, parseWith } from '../http/validation.js';
import { applyGrantChanges, privilegeAssignments, type Securable } from './grants.js';
import { permissionDenied } from './uc-errors.js';
import { ucRoute, type UnityCatalogServices } from './uc-services.js';
import { catalogInfo, schemaInfo } from './uc-views.js';

const V21 = ['2.1'] as const;
const PRIVILEGES = [
  'ALL_PRIVILEGES',
  'APPLY_TAG',
  'CREATE_FUNCTION',
  'CREATE_MODEL',
  'CREATE_SCHEMA',
  'CREATE_TABLE',
  'EXECUTE',
  'MANAGE',
  'USE_CATALOG',
  'USE_SCHEMA',
] as const;

export function registerCatalogRoutes(router: Router, uc: UnityCatalogServices): void {
  const { store, privileges } = uc;
  const route = (method: string, pattern: string, handler: Parameters<Router['api']>[3]) =>
    ucRoute(router, uc, method, `/unity-catalog${pattern}`, V21, handler);

  route('POST', '/catalogs', (ctx) => {
    const body = parseWith(z.object({ name: z.string().min(1), comment: z.string().optional() }), ctx.body);
    if (!privileges.isAdmin(ctx.principal))
      throw permissionDenied('CREATE_CATALOG', 'Metastore', store.metastoreId);
    const catalog = store.createCatalog(body.name, ctx.principal, body.comment);
    uc.changed();
    return ok(catalogInfo(store, catalog));
  });

  route('GET', '/catalogs', (ctx) =>
    ok({
      catalogs: store
        .allCatalogs()
        .filter((c) => privileges.holds(ctx.principal, 'USE_CATALOG', [c]))
        .map((c) => catalogInfo(store, c)),
    }),
  );

  route('GET', '/catalogs/{name}', (ctx) => {
    const catalog = store.getCatalog(ctx.params.name!);
    privileges.require(ctx.principal, 'USE_CATALOG', [catalog]);
    return ok(catalogInfo(store, catalog));
  });

  route('POST', '/schemas', (ctx) => {
    const body = parseWith(
      z.object({ name: z.string().min(1), catalog_name: z.string().min(1), comment: z.string().optional() }),
      ctx.body,
    );
    const catalog = store.getCatalog(body.catalog_name);
    privileges.require(ctx.principal, 'USE_CATALOG', [catalog]);
    privileges.require(ctx.principal, 'CREATE_SCHEMA', [catalog]);
    const schema = store.createSchema(catalog.name, body.name, ctx.principal, body.comment);
    uc.changed();
    return ok(schemaInfo(store, schema));
  });

  route('GET', '/schemas', (ctx) => {
    const catalogName = ctx.query.get('catalog_name');
    if (!catalogName) throw invalidParameter('Missing required field: catalog_name');
    const catalog = store.getCatalog(catalogName);
    privileges.require(ctx.principal, 'USE_CATALOG', [catalog]);
    return ok({
      schemas: store
        .schemasOf(catalog.name)
        .filter((s) => privileges.holds(ctx.principal, 'USE_SCHEMA', [catalog, s]))
        .map((s) => schemaInfo(store, s)),
    });
  });

  route('GET', '/schemas/{full_name}', (ctx) => {
    const schema = store.getSchema(ctx.params.full_name!);
    const catalog = store.getCatalog(schema.catalogName);
    privileges.requireUse(ctx.principal, catalog, schema);
    return ok(schemaInfo(store, schema));
  });

  route('DELETE', '/schemas/{full_name}', (ctx) => {
    const schema = store.getSchema(ctx.params.full_name!);
    const catalog = store.getCatalog(schema.catalogName);
    privileges.require(ctx.principal, 'USE_CATALOG', [catalog]);
    privileges.requireOwner(ctx.principal, [catalog, schema]);
    const force = parseWith(z.object({ force: flag.optional() }), {
      force: ctx.query.get('force') ?? undefined,
    });
    store.deleteSchema(schema.fullName, force.force ?? false);
    uc.changed();
    return ok({});
  });

  /** The securable and its enclosing ones, catalog first. */
  const chainOf = (type: string, fullName: string): Securable[] => {
    if (type === 'catalog') return [store.getCatalog(fullName)];
    if (type === 'schema') {
      const schema = store.getSchema(fullName);
      return [store.getCatalog(schema.catalogName), schema];
    }
    if (type === 'function') {
      const { catalog, schema } = store.parentsOf(fullName);
      return [catalog, schema, store.getModel(fullName)];
    }
    throw invalidParameter(`Unsupported securable type '${type}'.`);
  };

  route('GET', '/permissions/{securable_type}/{full_name}', (ctx) => {
    const chain = chainOf(ctx.params.securable_type!.toLowerCase(), ctx.params.full_name!);
    return ok({ privilege_assignments: privilegeAssignments(chain[chain.length - 1]!) });
  });

  route('PATCH', '/permissions/{securable_type}/{full_name}', (ctx) => {
    const body = parseWith(
      z.object({
        changes: z.array(
          z.object({
            principal: z.string().min(1),
            add: z.array(z.enum(PRIVILEGES)).optional(),
            remove: z.array(z.enum(PRIVILEGES)).optional(),
          }),
        ),
      }),
      ctx.body,
    );
    const chain = chainOf(ctx.params.securable_type!.toLowerCase(), ctx.params.full_name!);
    privileges.requireOwner(ctx.principal, chain);
    const target = chain[chain.length - 1]!;
    applyGrantChanges(target, body.changes);
    uc.changed();
    return ok({ privilege_assignments: privilegeAssignments(target) });
  });
}

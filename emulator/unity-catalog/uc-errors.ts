/**
 * Unity Catalog's errors, `{error_code, message}` like every workspace error. The codes are Databricks'
 * own (the ErrorCode enum Databricks publishes in MLflow's `mlflow/protos/databricks.proto`:
 * METASTORE_DOES_NOT_EXIST, CATALOG_DOES_NOT_EXIST, SCHEMA_DOES_NOT_EXIST, RESOURCE_DOES_NOT_EXIST,
 * PERMISSION_DENIED …). The status of each follows MLflow's mapping in `mlflow/exceptions.py` where it
 * has one (404 for *_DOES_NOT_EXIST, 403 PERMISSION_DENIED). The exact message texts of a real
 * workspace were not confirmed and are written in the same style as its other errors ("… does not
 * exist."); clients match on the code. One phrase is relied on by a client: MLflow's UC store looks for
 * "specify all three levels" in the message of a refused two-level model name
 * (mlflow/store/_unity_catalog/registry/rest_store.py, create_registered_model), so that text is kept.
 */
import { ApiError } from '../http/api-error.js';

export function metastoreDoesNotExist(): ApiError {
  // MLflow's UC store checks for this code in the message of a refused create (rest_store.py).
  return new ApiError(404, 'METASTORE_DOES_NOT_EXIST', 'No metastore assigned for the current workspace.');
}

export function catalogDoesNotExist(catalog: string): ApiError {
  return new ApiError(404, 'CATALOG_DOES_NOT_EXIST', `Catalog '${catalog}' does not exist.`);
}

export function schemaDoesNotExist(fullName: string): ApiError {
  return new ApiError(404, 'SCHEMA_DOES_NOT_EXIST', `Schema '${fullName}' does not exist.`);
}

export function modelDoesNotExist(fullName: string): ApiError {
  return new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Registered model '${fullName}' does not exist.`);
}

export function versionDoesNotExist(fullName: string, version: string | number): ApiError {
  return new ApiError(
    404,
    'RESOURCE_DOES_NOT_EXIST',
    `Model version ${version} of registered model '${fullName}' does not exist.`,
  );
}

export function aliasDoesNotExist(fullName: string, alias: string): ApiError {
  return new ApiError(
    404,
    'RESOURCE_DOES_NOT_EXIST',
    `Alias '${alias}' does not exist on registered model '${fullName}'.`,
  );
}

export function alreadyExists(kind: string, fullName: string): ApiError {
  // The UC REST API answers a duplicate create with ALREADY_EXISTS (409); MLflow's register_model
  // accepts it as well as RESOURCE_ALREADY_EXISTS (mlflow/tracking/_model_registry/fluent.py).
  return new ApiError(409, 'ALREADY_EXISTS', `${kind} '${fullName}' already exists.`);
}

/** "User does not have USE SCHEMA on Schema 'main.ml'." */
export function permissionDenied(privilege: string, securable: string, fullName: string): ApiError {
  return new ApiError(
    403,
    'PERMISSION_DENIED',
    `User does not have ${privilege.replace(/_/g, ' ')} on ${securable} '${fullName}'.`,
  );
}

export function notThreeLevels(name: string): ApiError {
  return new ApiError(
    400,
    'INVALID_PARAMETER_VALUE',
    `Invalid registered model name '${name}'. Please specify all three levels (catalog.schema.model).`,
  );
}

/**
 * JSON for the Databricks wire, exact for int64.
 *
 * `JSON.parse` turns every number into a double, so an id above 2^53 comes back rounded; Node 20 has
 * neither `JSON.rawJSON` nor the reviver's source text. The official clients keep int64 exactly:
 * databricks-sdk-py through Python's unbounded int, databricks-sdk-go through `int64`, and the
 * JavaScript SDKs through json-bigint (`bigint` fields). Lakeloop uses `lossless-json`: integers that
 * fit a double stay numbers, larger ones become `bigint`, and the response schemas
 * (jobs-schemas.ts) turn id fields into decimal strings and other numbers into numbers.
 */
import { isInteger, isSafeNumber, parse, stringify } from 'lossless-json';

function parseNumber(text: string): number | bigint {
  return isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text);
}

/** Parses JSON keeping every integer exact (unsafe ones as bigint). Throws SyntaxError like JSON.parse. */
export function parseExactJson(text: string): unknown {
  return parse(text, null, parseNumber);
}

/** Serialises JSON writing `bigint` values as plain integers (how request bodies carry int64 ids). */
export function stringifyExactJson(value: unknown): string {
  return stringify(value) ?? 'null';
}

/**
 * The value with every `null` removed — object fields set to null and null list elements — since
 * to Databricks' own clients `null` is "not set" (databricks-sdk-py `_from_dict` reads with `.get()`,
 * databricks-sdk-go leaves the zero value). Applied to every response before its schema, so the Jobs,
 * MLflow and SCIM schemas alike need only say what is optional.
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null).map(withoutNulls);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = withoutNulls(item);
    return out;
  }
  return value;
}

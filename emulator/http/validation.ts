/**
 * Validating request bodies and query strings with zod, and turning the first problem into the error
 * Databricks would send, naming the offending field:
 *  - a value of the wrong JSON type: 400 MALFORMED_REQUEST
 *    "Could not parse request object: Expected integer for field run_id, found STRING";
 *  - a missing required field: 400 INVALID_PARAMETER_VALUE "Missing required field: run_id";
 *  - a value outside an enum or a range: 400 INVALID_PARAMETER_VALUE naming the field and the value.
 */
import { z } from 'zod';
import { invalidParameter, malformedRequest } from './api-error.js';

/**
 * proto3 JSON treats `null` like an absent field, and so does Databricks; dropping nulls up front lets
 * every schema use plain `.optional()`.
 */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== null) result[key] = stripNulls(item);
    }
    return result;
  }
  return value;
}

/**
 * An int64 identifier. JSON numbers are accepted, and so are decimal strings, which is how proto3 JSON
 * (and some clients) encode int64.
 */
export const int64 = z.preprocess(
  (value) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value),
  z.number().int(),
);

/** A boolean that also accepts "true"/"false", as query strings carry them. */
export const flag = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean(),
);

function jsonTypeName(value: unknown): string {
  if (value === undefined) return 'NOTHING';
  if (value === null) return 'NULL';
  if (Array.isArray(value)) return 'ARRAY';
  if (typeof value === 'object') return 'OBJECT';
  return typeof value === 'number' ? 'NUMBER' : typeof value === 'boolean' ? 'BOOLEAN' : 'STRING';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** `tasks[0].depends_on[1].task_key`: the path as a person would write it. */
export function fieldName(path: readonly PropertyKey[]): string {
  let name = '';
  for (const key of path) {
    if (typeof key === 'number') name += `[${key}]`;
    else name += name ? `.${String(key)}` : String(key);
  }
  return name || '(root)';
}

const EXPECTED_NAMES: Record<string, string> = { int: 'integer', number: 'number', record: 'object' };

export function parseWith<T>(schema: z.ZodType<T>, input: unknown): T {
  const cleaned = stripNulls(input);
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = fieldName(issue.path);
  const actual = valueAt(cleaned, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      if (actual === undefined) throw invalidParameter(`Missing required field: ${field}`);
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      // A float where an integer belongs is the right JSON type with the wrong value.
      if (typeof actual === 'number' && issue.expected === 'int') {
        throw invalidParameter(`Invalid value for field ${field}: expected an integer, got ${actual}`);
      }
      throw malformedRequest(
        `Could not parse request object: Expected ${expected} for field ${field}, found ${jsonTypeName(actual)}`,
      );
    }
    case 'invalid_value':
      throw invalidParameter(
        `Invalid value ${JSON.stringify(actual)} for field ${field}; expected one of: ${issue.values.map(String).join(', ')}`,
      );
    case 'too_big':
    case 'too_small':
    case 'custom':
    case 'invalid_format':
      throw invalidParameter(`Invalid value for field ${field}: ${issue.message}`);
    default:
      throw malformedRequest(`Could not parse request object: ${issue.message} (field ${field})`);
  }
}

/** Query parameters as a plain object: a repeated key keeps its last value. */
export function queryObject(params: URLSearchParams): Record<string, string> {
  return Object.fromEntries(params.entries());
}

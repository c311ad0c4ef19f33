/**
 * Property test: every Jobs API response Lakeloop reads, generated from the models of a client nobody
 * here wrote — databricks-sdk-go's service/jobs/model.go, extracted field by field (with Go types and
 * enum values) into test/fixtures/databricks-sdk-go-jobs-models.json by
 * scripts/extract-sdk-jobs-models.py — and varied the ways real workspaces, proxies and compatible
 * servers vary them: optional fields absent or explicitly `null`, fields this version does not know,
 * enum values added later, and int64 ids anywhere up to 2^63 - 1, written as JSON integers or (as
 * proto3 JSON and gRPC-gateway proxies write int64) as decimal strings.
 *
 * Each body goes through exactly the path a real answer takes (src/databricks/http.ts
 * `decodeResponse`: lossless parse, then the endpoint's schema), and a runs/get answer on through
 * `toSnapshot` to what the workflow decides on. The properties: the client never throws on a valid
 * shape, and never changes an id. 10,000 generated responses per endpoint.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { z } from 'zod';
import { toSnapshot } from '../../src/activities/run-snapshot.js';
import { DatabricksApiError } from '../../src/databricks/errors.js';
import { decodeResponse } from '../../src/databricks/http.js';
import { stringifyExactJson } from '../../src/databricks/json.js';
import {
  exportRunSchema,
  jobSchema,
  listJobsSchema,
  repairResponseSchema,
  runOutputSchema,
  runSchema,
  submitResponseSchema,
} from '../../src/databricks/jobs-schemas.js';

interface FieldModel {
  json: string;
  type: string;
  required: boolean;
}
interface Models {
  source: string;
  structs: Record<string, FieldModel[]>;
  enums: Record<string, string[]>;
}

const models = JSON.parse(
  readFileSync(new URL('../fixtures/databricks-sdk-go-jobs-models.json', import.meta.url), 'utf8'),
) as Models;

const RUNS = Number(process.env.LAKELOOP_PROPERTY_RUNS ?? 10_000);
const INT64_MAX = 2n ** 63n - 1n;
const ABSENT = Symbol('absent');
/** Nesting beyond this is generated as `{}` (Task → ForEachTask → Task … recurses without end). */
const MAX_DEPTH = 3;

/** The int64 fields that are Databricks job, run, task-run or repair ids (by JSON name). */
const ID_FIELDS = new Set([
  'run_id',
  'job_id',
  'job_run_id',
  'parent_run_id',
  'original_attempt_run_id',
  'number_in_job',
  'repair_id',
  'latest_repair_id',
  'task_run_ids',
]);
const isIdField = (struct: string, field: string) =>
  ID_FIELDS.has(field) || (struct === 'RepairHistoryItem' && field === 'id');

/** An id on the wire: often beyond 2^53, as a JSON integer or a decimal string. */
const idValue: fc.Arbitrary<bigint | string | number> = fc.oneof(
  { weight: 5, arbitrary: fc.bigInt({ min: 2n ** 53n, max: INT64_MAX }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 1n, max: INT64_MAX }).map((id) => id.toString()) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) },
  { weight: 1, arbitrary: fc.constant(INT64_MAX) },
);

const unknownEnum = fc.stringMatching(/^FUTURE_[A-Z_]{1,12}$/);
const text = fc.string({ maxLength: 12 });
const unknownField = fc.dictionary(
  fc.stringMatching(/^x_future_[a-z]{1,8}$/),
  fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.bigInt({ min: 0n, max: INT64_MAX })),
  { maxKeys: 2 },
);

const arbitraryCache = new Map<string, fc.Arbitrary<unknown>>();

function arbitraryFor(struct: string, field: string, type: string, depth: number): fc.Arbitrary<unknown> {
  if (type.startsWith('[]')) {
    const element = arbitraryFor(struct, field, type.slice(2), depth);
    return depth >= MAX_DEPTH ? fc.constant([]) : fc.array(element, { maxLength: 3 });
  }
  if (type.startsWith('*')) return arbitraryFor(struct, field, type.slice(1), depth);
  if (type.startsWith('map[string]'))
    return fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), text, { maxKeys: 3 });
  switch (type) {
    case 'int64':
      return isIdField(struct, field) ? idValue : fc.bigInt({ min: 0n, max: INT64_MAX });
    case 'int':
      return fc.integer({ min: 0, max: 2 ** 31 - 1 });
    case 'float64':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'string':
      return text;
    case 'bool':
      return fc.boolean();
  }
  const values = models.enums[type];
  if (values)
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...values) },
      { weight: 1, arbitrary: unknownEnum },
    );
  if (models.structs[type]) return structArbitrary(type, depth + 1);
  // Types of other SDK packages (compute.ClusterSpec, compute.Library…): an object Lakeloop never reads.
  return fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), text, { maxKeys: 2 });
}

/** One struct: every field absent, null or a value (required ones always a value), plus unknown ones. */
function structArbitrary(name: string, depth: number, force: Record<string, fc.Arbitrary<unknown>> = {}) {
  const key = `${name}@${depth}`;
  if (Object.keys(force).length === 0 && arbitraryCache.has(key)) return arbitraryCache.get(key)!;
  const fields = models.structs[name]!;
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of fields) {
    const value = depth > MAX_DEPTH ? fc.constant(ABSENT) : arbitraryFor(name, field.json, field.type, depth);
    parts[field.json] =
      force[field.json] ??
      (field.required
        ? value
        : fc.oneof(
            { weight: 3, arbitrary: fc.constant(ABSENT) },
            { weight: 1, arbitrary: fc.constant(null) },
            { weight: 3, arbitrary: value },
          ));
  }
  const arbitrary = fc.tuple(fc.record(parts), unknownField).map(([record, extra]) => {
    const object: Record<string, unknown> = { ...extra };
    for (const [field, value] of Object.entries(record)) if (value !== ABSENT) object[field] = value;
    return object;
  });
  if (Object.keys(force).length === 0) arbitraryCache.set(key, arbitrary);
  return arbitrary;
}

/** The canonical decimal form of an id however it was written on the wire. */
const decimal = (value: unknown) => (typeof value === 'string' ? value : String(value));

/**
 * Every id the input carried (not null) is, at the same place in the parsed output, the same int64:
 * a decimal string where Lakeloop's schema reads it, an exact integer where the field passes through.
 */
function expectIdsUnchanged(input: unknown, output: unknown, struct: string, path: string): void {
  if (Array.isArray(input)) {
    expect(Array.isArray(output)).toBe(true);
    input.forEach((item, i) => expectIdsUnchanged(item, (output as unknown[])[i], struct, `${path}[${i}]`));
    return;
  }
  if (input === null || typeof input !== 'object' || output === undefined) return;
  const fields = new Map((models.structs[struct] ?? []).map((f) => [f.json, f.type]));
  for (const [key, value] of Object.entries(input)) {
    if (value === null) continue;
    const out = (output as Record<string, unknown>)[key];
    const type = (fields.get(key) ?? '').replace(/^(\[\]|\*)+/, '');
    if (isIdField(struct, key) && fields.has(key)) {
      const expected = Array.isArray(value) ? value.map(decimal) : decimal(value);
      const actual = Array.isArray(out) ? out.map(decimal) : decimal(out);
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        throw new Error(`${path}.${key}: sent ${JSON.stringify(expected)}, parsed ${JSON.stringify(actual)}`);
    } else if (models.structs[type]) {
      expectIdsUnchanged(value, out, type, `${path}.${key}`);
    }
  }
}

interface Endpoint {
  name: string;
  struct: string;
  schema: z.ZodType<unknown>;
  /** Fields Lakeloop cannot work without: generated always present. */
  force?: Record<string, fc.Arbitrary<unknown>>;
  also?: (parsed: unknown, body: Record<string, unknown>) => void;
}

const ENDPOINTS: Endpoint[] = [
  {
    name: 'GET /api/2.2/jobs/runs/get',
    struct: 'Run',
    schema: runSchema,
    also: (parsed, body) => {
      // On to what the workflow decides on: never throws, keeps the run's and tasks' ids.
      const run = parsed as z.infer<typeof runSchema>;
      const snapshot = toSnapshot({ ...run, run_id: run.run_id ?? '1' });
      if (body.run_id !== undefined && body.run_id !== null)
        expect(snapshot.runId).toBe(decimal(body.run_id));
      for (const task of snapshot.tasks) expect(task.runId).toMatch(/^[1-9]\d*$/);
      expect(typeof snapshot.terminal).toBe('boolean');
    },
  },
  { name: 'GET /api/2.2/jobs/runs/get-output', struct: 'RunOutput', schema: runOutputSchema },
  {
    name: 'POST /api/2.2/jobs/runs/submit',
    struct: 'SubmitRunResponse',
    schema: submitResponseSchema,
    force: { run_id: idValue },
  },
  {
    name: 'POST /api/2.2/jobs/run-now',
    struct: 'RunNowResponse',
    schema: submitResponseSchema,
    force: { run_id: idValue },
  },
  {
    name: 'POST /api/2.2/jobs/runs/repair',
    struct: 'RepairRunResponse',
    schema: repairResponseSchema,
    force: { repair_id: idValue },
  },
  { name: 'GET /api/2.2/jobs/get', struct: 'Job', schema: jobSchema },
  { name: 'GET /api/2.2/jobs/list', struct: 'ListJobsResponse', schema: listJobsSchema },
  { name: 'GET /api/2.2/jobs/runs/export', struct: 'ExportRunOutput', schema: exportRunSchema },
];

describe(`Jobs responses generated from ${models.source}`, () => {
  test('the extracted models are the SDK models Lakeloop reads, with ids typed int64', () => {
    for (const { struct } of ENDPOINTS) expect(models.structs[struct]).toBeDefined();
    const run = new Map(models.structs.Run!.map((f) => [f.json, f.type]));
    expect(run.get('run_id')).toBe('int64');
    expect(run.get('tasks')).toBe('[]RunTask');
    expect(run.get('iterations')).toBe('[]RunTask');
    expect(models.enums.RunLifeCycleState).toContain('WAITING_FOR_RETRY');
  });

  test.each(ENDPOINTS.map((e) => [e.name, e] as const))(
    '%s: never throws on a valid shape, never changes an id',
    (name, endpoint) => {
      fc.assert(
        fc.property(structArbitrary(endpoint.struct, 0, endpoint.force), (body) => {
          const wire = stringifyExactJson(body);
          const parsed = decodeResponse(wire, { schema: endpoint.schema, exactIntegers: true }, name);
          expectIdsUnchanged(body, parsed, endpoint.struct, endpoint.struct);
          endpoint.also?.(parsed, body as Record<string, unknown>);
        }),
        { numRuns: RUNS },
      );
    },
  );

  test.each([
    ['POST /api/2.2/jobs/runs/submit', 'run_id', {}, submitResponseSchema],
    ['POST /api/2.2/jobs/runs/submit', 'run_id', { run_id: null }, submitResponseSchema],
    ['POST /api/2.2/jobs/run-now', 'run_id', { run_id: 'soon' }, submitResponseSchema],
    ['POST /api/2.2/jobs/runs/repair', 'repair_id', { repair_id: -4 }, repairResponseSchema],
  ] as const)(
    '%s without a usable %s (%j) is an error naming endpoint and field',
    (name, field, body, schema) => {
      let error: unknown;
      try {
        decodeResponse(
          JSON.stringify(body),
          { schema: schema as z.ZodType<unknown>, exactIntegers: true },
          name,
        );
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(DatabricksApiError);
      expect((error as DatabricksApiError).retryable).toBe(false);
      expect((error as Error).message).toContain(name);
      expect((error as Error).message).toContain(field);
    },
  );

  test('an id beyond int64 is refused, not wrapped', () => {
    expect(() =>
      decodeResponse(
        '{"run_id": 9223372036854775808}',
        { schema: submitResponseSchema, exactIntegers: true },
        'x',
      ),
    ).toThrow(/run_id/);
  });
});

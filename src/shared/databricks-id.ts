/**
 * Databricks job, run, task-run and repair ids, carried exactly.
 *
 * The Jobs API types them int64 (databricks-sdk-go `service/jobs/model.go`: `RunId int64`,
 * `JobId int64`, `RepairId int64`, `TaskRunIds []int64`; databricks-sdk-py keeps them as Python ints),
 * and Databricks-compatible servers hand out ids above 2^53, where a JavaScript number silently rounds
 * (9007199254740993 becomes …992, and the next runs/get asks for a run that does not exist). Lakeloop
 * therefore holds every id as its decimal string — in activity results, workflow inputs and results,
 * search attributes and the CLI — and writes it back as a JSON integer only on the wire
 * (src/databricks/json.ts). Pure and deterministic: the workflow bundle uses it too.
 */

/** An int64 id as a canonical decimal string: digits, no sign, no leading zero, at most 2^63 - 1. */
export type DatabricksId = string;

const INT64_MAX = 9223372036854775807n;
const DECIMAL = /^(0|[1-9]\d{0,18})$/;

export function isDatabricksId(value: unknown): value is DatabricksId {
  return typeof value === 'string' && DECIMAL.test(value) && BigInt(value) <= INT64_MAX;
}

/**
 * An id from whatever form it arrives in — a safe whole number (older histories, JSON clients), a
 * bigint (lossless parsing), or a decimal string — as its canonical string; undefined when it is
 * not a valid non-negative int64. A number above 2^53 is refused: it may already have been rounded.
 */
export function toDatabricksId(value: unknown): DatabricksId | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  }
  if (typeof value === 'bigint') return value >= 0n && value <= INT64_MAX ? value.toString() : undefined;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    // "007" names run 7 to a person; normalise it rather than refuse it.
    const canonical = /^\d+$/.test(trimmed) ? trimmed.replace(/^0+(?=\d)/, '') : trimmed;
    return isDatabricksId(canonical) ? canonical : undefined;
  }
  return undefined;
}

/** Like toDatabricksId, for a value that must be an id: throws a message naming `what`. */
export function requireDatabricksId(value: unknown, what: string): DatabricksId {
  const id = toDatabricksId(value);
  if (id === undefined) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
    throw new TypeError(
      `${what}: expected a Databricks id (a whole number from 0 to 2^63 - 1), got ${shown}`,
    );
  }
  return id;
}

/** Equality of two ids however each is held (a number from an old history, a string from a new one). */
export function sameDatabricksId(a: unknown, b: unknown): boolean {
  const left = toDatabricksId(a);
  return left !== undefined && left === toDatabricksId(b);
}

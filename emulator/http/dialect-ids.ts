/**
 * The `int64-ids` dialect's id translation: clients see every Jobs id as internal id + 2^62, so ids
 * are above 2^53 − 1 and a client that parses them into a float (JSON.parse) rounds them and then asks
 * about runs that do not exist. The Jobs API types these ids int64 (databricks-sdk-go
 * service/jobs/model.go: `RunId int64`, `JobId int64`, `OriginalAttemptRunId int64`, RepairHistoryItem
 * `Id int64`), and independent Databricks-compatible servers hand out ids that large
 * (shared/reference/real-workspaces.md). The rest of the emulator keeps its small internal numbers.
 *
 * Which values are ids is decided by key name, so fields added later (a for_each task's iterations
 * are RunTasks with their own `run_id`) are covered without a change here:
 *  - ID_KEYS below, each an int64 Jobs id in databricks-sdk-py 0.162.0 databricks/sdk/service/jobs.py
 *    (Run, RunTask, RepairHistoryItem, RunNowResponse, SubmitRunResponse, RepairRunResponse,
 *    CreateResponse, RunJobTask, RunJobOutput, TriggerInfo) or in the documented webhook payload;
 *  - `task_run_ids` (a list of ids), and `id` inside `repair_history` entries;
 *  - `run_page_url`'s `#job/<job>/run/<run>` fragment.
 * Deliberately exact names, not suffixes: `dbt_cloud_job_id` and `dbt_cloud_job_run_id` are int64 too
 * but name another system's jobs. Only numbers are translated on the way out; MLflow's hex run ids and
 * registry versions are strings on other paths and never pass through here.
 */
import { parse as parseLossless } from 'lossless-json';
import { parseJsonObject } from './body.js';

/** external = internal + 2^62, so a first run id 500000000001 is seen as 4611686518427387905. */
export const ID_OFFSET = 1n << 62n;
const INT64_MAX = (1n << 63n) - 1n;

const ID_KEYS = new Set([
  'job_id',
  'run_id',
  'job_run_id',
  'parent_run_id',
  'original_attempt_run_id',
  'number_in_job',
  'repair_id',
  'latest_repair_id',
]);
const ID_LIST_KEYS = new Set(['task_run_ids']);
/** Under these keys, an element's `id` is a Jobs id (RepairHistoryItem.id). */
const ID_ELEMENT_PARENTS = new Set(['repair_history']);

/** Error messages name runs, jobs and repairs by id ("Run 5 does not exist.", "latest_repair_id 7 …"). */
const MESSAGE_ID = /\b(Run|run|Job|job|latest_repair_id|repair is) (-?\d+)\b/g;
const RUN_PAGE_FRAGMENT = /#job\/(\d+)\/run\/(\d+)/;

type Json = unknown;

/** The id a client sees for an internal one. */
export function externalId(internal: number): bigint {
  return BigInt(internal) + ID_OFFSET;
}

/**
 * JSON text parsed without losing integers: safe integers become numbers, larger ones bigints (until
 * the id translation has seen them). A repeated key keeps its last value, as JSON.parse does.
 */
export function parseJsonLossless(text: string): unknown {
  return parseLossless(text, null, {
    parseNumber: (digits) => {
      if (/^-?\d+$/.test(digits)) {
        const value = BigInt(digits);
        return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(value)
          : value;
      }
      return Number(digits);
    },
    onDuplicateKey: ({ newValue }) => newValue,
  });
}

/**
 * One request's translation. Ids the client sends that cannot be ours (below 2^62, above int64, or
 * mapping to no possible internal id) become distinct negative placeholders, which no run or job has,
 * so every handler answers them exactly as it answers an unknown id ("Run … does not exist."); the
 * placeholders are turned back into the client's text in error messages.
 */
export class IdTranslator {
  private readonly placeholders = new Map<number, string>();

  /** An id from the client: its internal number, or a placeholder that matches nothing. */
  private inbound(value: bigint, text: string): number {
    const internal = value - ID_OFFSET;
    if (value <= INT64_MAX && internal >= 1n && internal <= BigInt(Number.MAX_SAFE_INTEGER)) {
      return Number(internal);
    }
    const placeholder = -(this.placeholders.size + 1);
    this.placeholders.set(placeholder, text);
    return placeholder;
  }

  /**
   * A parsed request body: id keys translated wherever they are (a run_job_task's job_id too). Numbers
   * are translated; decimal strings (proto3 JSON's int64 form) only at the top level, where they are
   * request parameters, and they stay strings. Anything else is left for the handler's validation to
   * refuse ("Expected integer for field run_id"). Integers no id key claims become plain numbers, as
   * JSON.parse would have made them.
   */
  requestBody(value: Json): Json {
    return this.walkIn(value, undefined, true);
  }

  /** Query-string parameters (and GET parameters merged from a body) named like ids. */
  query(params: URLSearchParams): URLSearchParams {
    const result = new URLSearchParams();
    for (const [name, value] of params) {
      result.append(name, ID_KEYS.has(name) ? this.inboundText(value) : value);
    }
    return result;
  }

  /** A decimal id sent as text; other text is left for validation to refuse. */
  inboundText(text: string): string {
    const trimmed = text.trim();
    return /^-?\d+$/.test(trimmed) ? String(this.inbound(BigInt(trimmed), trimmed)) : text;
  }

  /** A response body: every id the client sees, as a bigint that serializes exactly. */
  responseBody(value: Json): Json {
    return walkOut(value, undefined);
  }

  /** An error message: ids named in it as the client knows them. */
  message(text: string): string {
    return text.replace(MESSAGE_ID, (whole, word: string, digits: string) => {
      const number = Number(digits);
      const original = this.placeholders.get(number);
      if (original !== undefined) return `${word} ${original}`;
      return number >= 0 ? `${word} ${externalId(number)}` : whole;
    });
  }

  private walkIn(value: Json, key: string | undefined, top: boolean): Json {
    if (Array.isArray(value)) {
      return value.map((item) =>
        key !== undefined && ID_LIST_KEYS.has(key) ? this.idIn(item, false) : this.walkIn(item, key, false),
      );
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([name, item]) => [
          name,
          ID_KEYS.has(name) ? this.idIn(item, top) : this.walkIn(item, name, false),
        ]),
      );
    }
    return typeof value === 'bigint' ? Number(value) : value;
  }

  private idIn(value: Json, acceptText: boolean): Json {
    if (typeof value === 'bigint') return this.inbound(value, value.toString());
    if (typeof value === 'number') {
      // A float (the rounded id of a client that parsed with JSON.parse) still names an integer.
      return Number.isInteger(value) ? this.inbound(BigInt(value), String(value)) : value;
    }
    if (typeof value === 'string' && acceptText) return this.inboundText(value);
    return this.walkIn(value, undefined, false);
  }
}

function walkOut(value: Json, key: string | undefined): Json {
  if (Array.isArray(value)) {
    return value.map((item) => {
      if (key !== undefined && ID_LIST_KEYS.has(key)) return idOut(item);
      if (key !== undefined && ID_ELEMENT_PARENTS.has(key) && isRecord(item)) {
        return walkOut({ ...item, ...('id' in item ? { id: idOut(item.id) } : {}) }, undefined);
      }
      return walkOut(item, undefined);
    });
  }
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => {
        if (ID_KEYS.has(name)) return [name, idOut(item)];
        if (name === 'run_page_url' && typeof item === 'string') return [name, runPageUrl(item)];
        return [name, walkOut(item, name)];
      }),
    );
  }
  return value;
}

function idOut(value: Json): Json {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? externalId(value) : value;
}

function runPageUrl(url: string): string {
  return url.replace(
    RUN_PAGE_FRAGMENT,
    (_whole, job: string, run: string) => `#job/${externalId(Number(job))}/run/${externalId(Number(run))}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A request body as the handlers expect it: parsed exactly, ids translated. */
export function parseRequestObject(raw: Buffer, translator: IdTranslator): Record<string, unknown> {
  return translator.requestBody(parseJsonObject(raw, parseJsonLossless)) as Record<string, unknown>;
}

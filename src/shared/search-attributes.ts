/**
 * Lakeloop's custom search attributes. They are never encrypted by a payload codec, so they carry
 * ids and states only, never anything secret. The local stack registers exactly this list.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Keywords holding the exact decimal id, not Ints: Temporal's Int is int64, but the TypeScript SDK
 * encodes a search attribute value as a JSON number (a double), which rounds ids above 2^53
 * (@temporalio/common converter/payload-search-attributes: JsonPayloadConverter). Query them as
 * strings: `DatabricksRunId = '500000000001'`.
 */
export const DatabricksJobId = defineSearchAttributeKey('DatabricksJobId', SearchAttributeType.KEYWORD);
export const DatabricksRunId = defineSearchAttributeKey('DatabricksRunId', SearchAttributeType.KEYWORD);
export const DatabricksRunState = defineSearchAttributeKey('DatabricksRunState', SearchAttributeType.KEYWORD);
export const LakeloopPipeline = defineSearchAttributeKey('LakeloopPipeline', SearchAttributeType.KEYWORD);
/**
 * True on a databricksRun started with `onCancel: "detach"`: its Databricks run may outlive the
 * workflow on purpose, so the orphan reaper (src/workflows/orphan-reaper.ts) never cancels it. A Bool,
 * not another Keyword: Temporal's SQL visibility stores custom attributes in a fixed number of
 * columns per type (temporalio/temporal schema/mysql/v8/visibility/schema.sql: Bool01-03,
 * Keyword01-10, three of each other type), and Lakeloop's Keywords already take four.
 */
export const LakeloopDetached = defineSearchAttributeKey('LakeloopDetached', SearchAttributeType.BOOL);
/**
 * What an mlPipeline decided, once it has: `promoted`, `rejected` (by the gate or an approver), or
 * `not-promoted` (accepted, but nothing could be registered). The workflow list shows it, so a rejected
 * candidate is visible without opening the pipeline (`LakeloopDecision = 'rejected'`).
 */
export const LakeloopDecision = defineSearchAttributeKey('LakeloopDecision', SearchAttributeType.KEYWORD);
/** The model version holding the pipeline's alias after it ran (new if promoted, else the champion). */
export const LakeloopModelVersion = defineSearchAttributeKey(
  'LakeloopModelVersion',
  SearchAttributeType.KEYWORD,
);

/**
 * When a databricksRun began waiting for its run's end notification (webhook mode); absent while it is
 * not waiting for one. The webhook receiver's catch-up (src/webhooks/catch-up.ts) lists the workflows
 * that hold it — `LakeloopNotificationWaitSince < '<when the receiver came back>'` — to ask each to
 * look at its run once: a notification sent while no receiver listened is lost when the sender stops
 * retrying (Databricks documents no delivery retry policy). A Datetime, so a catch-up covers exactly
 * the waits that began before the receiver listened again; SQL visibility has three Datetime columns
 * and Lakeloop uses no other.
 */
export const LakeloopNotificationWaitSince = defineSearchAttributeKey(
  'LakeloopNotificationWaitSince',
  SearchAttributeType.DATETIME,
);

/**
 * A one-time run's definition fingerprint (the runs/submit request without its name, token,
 * notifications and timeout: src/activities/fingerprint.ts). With LakeloopRunMs it is the duration
 * history of one-time runs, which Databricks cannot give: runs/list has no filter for "the same
 * submitted definition", and run names often carry a date.
 */
export const LakeloopDefinition = defineSearchAttributeKey('LakeloopDefinition', SearchAttributeType.KEYWORD);
/**
 * How long a databricksRun's Databricks run took (end_time − start_time, ms) when it succeeded without
 * a repair or a resubmission: what predictive polling fits (src/activities/run-durations.ts). An Int:
 * durations are far below 2^53, so the SDK's JSON number is exact; SQL visibility has three Int columns
 * and Lakeloop uses no other.
 */
export const LakeloopRunMs = defineSearchAttributeKey('LakeloopRunMs', SearchAttributeType.INT);

/**
 * Keywords but for one Bool, one Datetime and one Int: Temporal's SQL visibility stores custom attributes in
 * pre-allocated columns, 10 for Keyword and 3 for each other type (counted in the dev server's SQLite
 * schema, `executions_visibility`, Temporal CLI 1.9.1 / server 1.32.0), so Keyword is where room is.
 */
export const LAKELOOP_SEARCH_ATTRIBUTES = [
  DatabricksJobId,
  DatabricksRunId,
  DatabricksRunState,
  LakeloopPipeline,
  LakeloopDetached,
  LakeloopDecision,
  LakeloopModelVersion,
  LakeloopNotificationWaitSince,
  LakeloopDefinition,
  LakeloopRunMs,
];

/**
 * temporal.api.enums.v1.IndexedValueType of each attribute type (the operator API's numbers), for
 * registering and checking Lakeloop's attributes without the CLI.
 */
export const INDEXED_VALUE_TYPE: Record<string, number> = {
  [SearchAttributeType.TEXT]: 1,
  [SearchAttributeType.KEYWORD]: 2,
  [SearchAttributeType.INT]: 3,
  [SearchAttributeType.DOUBLE]: 4,
  [SearchAttributeType.BOOL]: 5,
  [SearchAttributeType.DATETIME]: 6,
  [SearchAttributeType.KEYWORD_LIST]: 7,
};

/** The CLI's spelling of each type, for `temporal server start-dev --search-attribute NAME=Type`. */
export const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** Lakeloop's search attributes as `temporal operator search-attribute create` / dev-server flags. */
export function searchAttributeCliFlags(): string[] {
  return LAKELOOP_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${CLI_TYPE_NAMES[key.type]}`,
  ]);
}

/**
 * Lakeloop's custom search attributes. They are never encrypted by a payload codec, so they carry
 * ids and states only, never anything secret. The local stack registers exactly this list.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DatabricksJobId = defineSearchAttributeKey('DatabricksJobId', SearchAttributeType.INT);
export const DatabricksRunId = defineSearchAttributeKey('DatabricksRunId', SearchAttributeType.INT);
export const DatabricksRunState = defineSearchAttributeKey('DatabricksRunState', SearchAttributeType.KEYWORD);
export const LakeloopPipeline = defineSearchAttributeKey('LakeloopPipeline', SearchAttributeType.KEYWORD);

export const LAKELOOP_SEARCH_ATTRIBUTES = [
  DatabricksJobId,
  DatabricksRunId,
  DatabricksRunState,
  LakeloopPipeline,
];

/** The CLI's spelling of each type, for `temporal server start-dev --search-attribute NAME=Type`. */
const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

export function searchAttributeCliFlags(): string[] {
  return LAKELOOP_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${CLI_TYPE_NAMES[key.type]}`,
  ]);
}

/**
 * API 2.2's paging of the array properties of one object (jobs/get, runs/get). Every array is cut
 * into pages of 100 in lockstep: page N carries elements [100·N, 100·N + 100) of *each* array, an
 * array already exhausted comes back empty, and `next_page_token` is present while any array has
 * more. That is exactly what the SDKs' merging code expects:
 *  - databricks-sdk-py `databricks/sdk/mixins/jobs.py` (`get`, `get_run`): "Each new page of
 *    runs/get response includes the next page of the job_clusters, job_parameters, and repair
 *    history" — it extends every array from every page;
 *  - databricks-sdk-go `service/jobs/ext_api.go` (`Get`, `GetRun`): the same appends;
 *  - the SDK docstrings of jobs/get and runs/get: "If any array properties have more than 100
 *    elements, additional results will be returned on subsequent requests. Arrays without
 *    additional results will be empty on later pages."
 * The page token is opaque to clients; ours is the element offset of the page.
 */
import { decodePageToken, encodePageToken } from './page-token.js';

/** docs.databricks.com/jobs/jobs-api-updates.html: "limited to 100 elements per response". */
export const ARRAY_PAGE_SIZE = 100;

export interface ArrayPage<K extends string> {
  slices: Record<K, unknown[]>;
  /** True on every page after the first, where exhausted arrays must be sent (empty). */
  laterPage: boolean;
  /** Present while any array has elements past this page. */
  nextPageToken?: string;
}

/** The offset a page token stands for (0 without one); a garbage token is 400. */
export function pageOffset(pageToken: string | undefined): number {
  return pageToken === undefined || pageToken === '' ? 0 : decodePageToken(pageToken);
}

export function pageArrays<K extends string>(
  arrays: Record<K, readonly unknown[]>,
  offset: number,
  size = ARRAY_PAGE_SIZE,
): ArrayPage<K> {
  const slices = {} as Record<K, unknown[]>;
  let more = false;
  for (const key of Object.keys(arrays) as K[]) {
    const all = arrays[key];
    slices[key] = all.slice(offset, offset + size);
    if (all.length > offset + size) more = true;
  }
  return {
    slices,
    laterPage: offset > 0,
    ...(more ? { nextPageToken: encodePageToken(offset + size) } : {}),
  };
}

/** Whether any array is longer than one page (jobs/list and runs/list report it as has_more). */
export function exceedsOnePage(arrays: readonly (readonly unknown[])[], size = ARRAY_PAGE_SIZE): boolean {
  return arrays.some((array) => array.length > size);
}

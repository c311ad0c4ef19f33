/**
 * What the HTTP layer tells the rest of the worker about each response, and how an endpoint is named
 * for it. The HTTP client emits events (`onResponse`); metrics and tracing subscribe. Kept apart from
 * both so neither imports the other (no http ↔ metrics cycle; `madge --circular` runs in lint).
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestEvent {
  method: HttpMethod;
  path: string;
  status: number;
  durationMs: number;
}

/**
 * Replaces ids in a request path so label cardinality stays bounded: numeric segments, UUIDs and
 * long hex/alphanumeric ids become ":id"; the API version is kept (e.g. /api/2.2/jobs/runs/get).
 */
export function normaliseEndpointPath(path: string): string {
  const bare = path.split('?')[0] ?? path;
  return bare
    .split('/')
    .map((segment, index, all) => {
      if (index === 2 && all[1] === 'api') return segment; // the version, e.g. 2.1
      if (/^\d+$/.test(segment)) return ':id';
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment)) return ':id';
      if (/^[0-9a-zA-Z_-]{16,}$/.test(segment) && /\d/.test(segment)) return ':id';
      return segment;
    })
    .join('/');
}

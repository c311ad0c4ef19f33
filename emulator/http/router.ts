/**
 * A small method + path router. API routes are registered once and served under every API version
 * they exist in (`/api/2.0`, `/api/2.1`, `/api/2.2` for the Jobs API, because the official SDKs mix
 * them). Matching distinguishes "no such endpoint" (404) from "endpoint exists, wrong method" (405).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiResponse } from './responses.js';

export type ApiVersion = '2.0' | '2.1' | '2.2';
export const JOBS_API_VERSIONS: readonly ApiVersion[] = ['2.0', '2.1', '2.2'];

export interface RequestContext {
  method: string;
  /** The request path without the query string. */
  path: string;
  /** The API version in the path, for routes whose behaviour differs between versions. */
  version: ApiVersion | undefined;
  query: URLSearchParams;
  /** The parsed JSON object body (`{}` for GET, for an empty body, and on non-JSON routes such as /oidc). */
  body: Record<string, unknown>;
  /** The body as received, for routes that are not JSON (the form-encoded token endpoint). */
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  /** Values of `{name}` segments in the route pattern. */
  params: Record<string, string>;
  /** Who the bearer token authenticates as; empty on unauthenticated routes. */
  principal: string;
  requestId: string;
}

export type Handler = (ctx: RequestContext) => ApiResponse | Promise<ApiResponse>;

interface Route {
  method: string;
  segments: string[];
  version: ApiVersion | undefined;
  handler: Handler;
}

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: Record<string, string>; version: ApiVersion | undefined }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

export class Router {
  private readonly staticRoutes = new Map<string, Route[]>();
  private readonly paramRoutes: Route[] = [];

  /** Serve `pattern` (e.g. `/jobs/runs/get`) under `/api/<version>` for each version. */
  api(method: string, pattern: string, versions: readonly ApiVersion[], handler: Handler): this {
    for (const version of versions) this.add(method, `/api/${version}${pattern}`, handler, version);
    return this;
  }

  /** Serve an unversioned path such as `/__emulator/stats`. */
  route(method: string, path: string, handler: Handler): this {
    return this.add(method, path, handler, undefined);
  }

  match(method: string, path: string): RouteMatch {
    const candidates = this.candidates(path);
    if (candidates.length === 0) return { kind: 'not-found' };
    const found = candidates.find((c) => c.route.method === method);
    if (found) {
      return {
        kind: 'found',
        handler: found.route.handler,
        params: found.params,
        version: found.route.version,
      };
    }
    return { kind: 'method-not-allowed', allowed: [...new Set(candidates.map((c) => c.route.method))] };
  }

  private add(method: string, path: string, handler: Handler, version: ApiVersion | undefined): this {
    const route: Route = { method, segments: path.split('/'), version, handler };
    if (path.includes('{')) {
      this.paramRoutes.push(route);
    } else {
      const list = this.staticRoutes.get(path) ?? [];
      list.push(route);
      this.staticRoutes.set(path, list);
    }
    return this;
  }

  private candidates(path: string): { route: Route; params: Record<string, string> }[] {
    const exact = this.staticRoutes.get(path);
    if (exact) return exact.map((route) => ({ route, params: {} }));
    const segments = path.split('/');
    const result: { route: Route; params: Record<string, string> }[] = [];
    for (const route of this.paramRoutes) {
      const params = matchSegments(route.segments, segments);
      if (params) result.push({ route, params });
    }
    return result;
  }
}

/**
 * `{name}` matches one non-empty segment; a last `{name+}` matches the rest of the path (one or more
 * non-empty segments, joined with `/`), for file-like paths such as MLflow artifact paths.
 */
function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  const last = pattern[pattern.length - 1] ?? '';
  const rest = last.startsWith('{') && last.endsWith('+}');
  if (rest ? actual.length < pattern.length : pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const value = actual[i]!;
    if (rest && i === pattern.length - 1) {
      const tail = actual.slice(i);
      if (tail.some((segment) => segment === '')) return undefined;
      try {
        params[expected.slice(1, -2)] = tail.map((segment) => decodeURIComponent(segment)).join('/');
      } catch {
        return undefined;
      }
    } else if (expected.startsWith('{') && expected.endsWith('}')) {
      if (value === '') return undefined;
      try {
        params[expected.slice(1, -1)] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (expected !== value) {
      return undefined;
    }
  }
  return params;
}

import { createTokenProvider, type TokenProviderOptions } from '../auth/index.js';
import type { DatabricksAuthSettings } from '../config/databricks.js';
import type { LakeloopMetrics } from '../observability/metrics.js';
import { DatabricksHttpClient, type RequestEvent } from './http.js';
import { RequestBudget } from './request-budget.js';

export interface WorkspaceClientOptions extends TokenProviderOptions {
  requestsPerSecond: number;
  burst: number;
  timeoutMs: number;
  onResponse?(event: RequestEvent): void;
  /** Counts requests, 429s, Retry-After pauses and token refreshes (in addition to the hooks above). */
  metrics?: LakeloopMetrics;
}

/** The one workspace client of a worker: token layer + request budget + HTTP client. */
export function createWorkspaceClient(
  settings: DatabricksAuthSettings,
  options: WorkspaceClientOptions,
): DatabricksHttpClient {
  const { metrics } = options;
  const budget = new RequestBudget({ ratePerSecond: options.requestsPerSecond, burst: options.burst });
  metrics?.observeBudget(() => budget.stats());
  const tokenOptions: TokenProviderOptions = metrics
    ? {
        ...options,
        onRefresh: (authType) => {
          metrics.onRefresh(authType);
          options.onRefresh?.(authType);
        },
        onRefreshFailure: (authType, error) => {
          metrics.onRefreshFailure(authType);
          options.onRefreshFailure?.(authType, error);
        },
      }
    : options;
  return new DatabricksHttpClient({
    host: settings.host,
    tokens: createTokenProvider(settings, tokenOptions),
    budget,
    timeoutMs: options.timeoutMs,
    onResponse:
      metrics || options.onResponse
        ? (event) => {
            metrics?.onResponse(event);
            options.onResponse?.(event);
          }
        : undefined,
  });
}

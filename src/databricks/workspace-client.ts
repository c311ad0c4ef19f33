import { createTokenProvider, type TokenProviderOptions } from '../auth/index.js';
import type { DatabricksAuthSettings } from '../config/databricks.js';
import { DatabricksHttpClient, type RequestEvent } from './http.js';
import { RequestBudget } from './request-budget.js';

export interface WorkspaceClientOptions extends TokenProviderOptions {
  requestsPerSecond: number;
  burst: number;
  timeoutMs: number;
  onResponse?(event: RequestEvent): void;
}

/** The one workspace client of a worker: token layer + request budget + HTTP client. */
export function createWorkspaceClient(
  settings: DatabricksAuthSettings,
  options: WorkspaceClientOptions,
): DatabricksHttpClient {
  return new DatabricksHttpClient({
    host: settings.host,
    tokens: createTokenProvider(settings, options),
    budget: new RequestBudget({ ratePerSecond: options.requestsPerSecond, burst: options.burst }),
    timeoutMs: options.timeoutMs,
    onResponse: options.onResponse,
  });
}

/** How Lakeloop authenticates to Databricks. */
export type AuthType = 'pat' | 'oauth-m2m' | 'oidc-federation';

/** A bearer token held only in the worker's memory. Never returned from an activity or logged. */
export interface AccessToken {
  value: string;
  /** Epoch milliseconds; Infinity for a personal access token (its expiry is not known to us). */
  expiresAt: number;
  /** When we obtained it (epoch ms): with expiresAt, gives the lifetime the refresh margins scale with. */
  obtainedAt: number;
  scopes: string[];
}

export interface TokenStats {
  refreshes: number;
  refreshFailures: number;
}

/** The one interface every Databricks and MLflow request gets its credentials from. */
export interface TokenProvider {
  readonly authType: AuthType;
  getToken(): Promise<AccessToken>;
  /**
   * A request was rejected with 401 while using `token`: forget it (if it is still the cached one)
   * so the next getToken() fetches a new one. Concurrent 401s with the same token cause one refresh.
   */
  invalidate(token: string): void;
  stats(): TokenStats;
}

/**
 * Counters for tests and benchmarks (GET /__emulator/stats). Requests are counted per
 * "<METHOD> <exact path>" without the query string, so /api/2.1/… and /api/2.2/… stay apart. Run
 * figures are computed from the run store on demand, so they are right after a restart or a reset.
 */
import type { TokenRegistry } from '../auth/token-registry.js';
import type { SignedUrlCounters } from '../mlflow/signed-urls.js';
import type { RunStore } from '../runs/run-store.js';
import { isTerminal } from '../runs/run-model.js';

/** Distinct request keys kept; beyond this (a fuzzer's random paths) they share one bucket. */
const MAX_REQUEST_KEYS = 2000;

export interface WebhookCounters {
  sent: number;
  failed: number;
  dropped: number;
  duplicated: number;
  retried: number;
}

/** The token endpoint's outcomes; `tokens.issued` itself comes from the registry (task tokens too). */
export interface OAuthCounters {
  issuedByGrant: { client_credentials: number; token_exchange: number };
  /** Token requests answered with an OAuth error, in all and by `error`. */
  rejected: number;
  rejectedByError: Record<string, number>;
}

export class Stats {
  private readonly requests = new Map<string, number>();
  /** Responses sent to the requests counted above, by HTTP status (a dropped response is not sent). */
  private readonly statuses = new Map<string, number>();
  readonly webhooks: WebhookCounters = { sent: 0, failed: 0, dropped: 0, duplicated: 0, retried: 0 };
  /** MLflow signed-URL requests (dbfs artifact mode). */
  readonly signedUrls: SignedUrlCounters = { requests: 0, rejected: 0, withAuthorization: 0 };
  readonly oauth: OAuthCounters = {
    issuedByGrant: { client_credentials: 0, token_exchange: 0 },
    rejected: 0,
    rejectedByError: {},
  };

  countRequest(method: string, path: string): void {
    let key = `${method} ${path}`;
    if (!this.requests.has(key) && this.requests.size >= MAX_REQUEST_KEYS) key = `${method} (other paths)`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  countResponse(status: number): void {
    const key = String(status);
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }

  reset(): void {
    this.requests.clear();
    this.statuses.clear();
    for (const key of Object.keys(this.webhooks) as (keyof WebhookCounters)[]) this.webhooks[key] = 0;
    for (const key of Object.keys(this.signedUrls) as (keyof SignedUrlCounters)[]) this.signedUrls[key] = 0;
    this.oauth.issuedByGrant.client_credentials = 0;
    this.oauth.issuedByGrant.token_exchange = 0;
    this.oauth.rejected = 0;
    this.oauth.rejectedByError = {};
  }

  snapshot(runs: RunStore, tokens: TokenRegistry): Record<string, unknown> {
    let active = 0;
    const byResultState: Record<string, number> = {};
    for (const run of runs.values()) {
      if (!isTerminal(run.phase)) {
        active++;
      } else if (run.outcome) {
        byResultState[run.outcome.result] = (byResultState[run.outcome.result] ?? 0) + 1;
      }
    }
    return {
      requests: Object.fromEntries(this.requests),
      responses: { byStatus: Object.fromEntries(this.statuses) },
      runs: { created: runs.created, active, byResultState },
      tokens: {
        issued: tokens.issuedCount,
        issuedByGrant: { ...this.oauth.issuedByGrant },
        rejected: this.oauth.rejected,
        rejectedByError: { ...this.oauth.rejectedByError },
      },
      webhooks: { ...this.webhooks },
      mlflowSignedUrls: { ...this.signedUrls },
    };
  }
}

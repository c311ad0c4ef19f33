/**
 * Counters for tests and benchmarks (GET /__emulator/stats). Requests are counted per
 * "<METHOD> <exact path>" without the query string, so /api/2.1/… and /api/2.2/… stay apart. Run
 * figures are computed from the run store on demand, so they are right after a restart or a reset.
 */
import type { TokenRegistry } from '../auth/token-registry.js';
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

export class Stats {
  private readonly requests = new Map<string, number>();
  readonly webhooks: WebhookCounters = { sent: 0, failed: 0, dropped: 0, duplicated: 0, retried: 0 };

  countRequest(method: string, path: string): void {
    let key = `${method} ${path}`;
    if (!this.requests.has(key) && this.requests.size >= MAX_REQUEST_KEYS) key = `${method} (other paths)`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  reset(): void {
    this.requests.clear();
    for (const key of Object.keys(this.webhooks) as (keyof WebhookCounters)[]) this.webhooks[key] = 0;
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
      runs: { created: runs.created, active, byResultState },
      tokens: { issued: tokens.issuedCount },
      webhooks: { ...this.webhooks },
    };
  }
}

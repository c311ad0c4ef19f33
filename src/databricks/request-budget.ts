/**
 * One request budget per workspace, shared by every activity in a worker: a token bucket that keeps
 * the request rate under Databricks' limits however many runs are in flight, plus a shared pause when
 * the workspace answers 429/503 with Retry-After — one throttled request slows everyone down,
 * instead of each activity discovering the limit on its own.
 */
import pLimit from 'p-limit';

export interface RequestBudgetOptions {
  /** Sustained requests per second. */
  ratePerSecond: number;
  /** Requests allowed in a burst. */
  burst: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface BudgetStats {
  acquired: number;
  /** Total time callers spent waiting for the bucket or a Retry-After pause, in ms. */
  waitedMs: number;
  retryAfterPauses: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RequestBudget {
  private tokens: number;
  private lastRefill: number;
  private pausedUntil = 0;
  /** One caller takes a token at a time, in arrival order (a failed take does not block the next). */
  private readonly queue = pLimit(1);
  private readonly counters: BudgetStats = { acquired: 0, waitedMs: 0, retryAfterPauses: 0 };
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RequestBudgetOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new Error('RequestBudget: ratePerSecond must be > 0 and burst >= 1');
    }
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.tokens = options.burst;
    this.lastRefill = this.now();
  }

  /** Waits for a request slot. Callers are served in arrival order. */
  acquire(): Promise<void> {
    return this.queue(() => this.takeToken());
  }

  /** The workspace said "retry after ms": nobody sends until then. */
  pauseFor(ms: number): void {
    const until = this.now() + ms;
    if (until > this.pausedUntil) {
      this.pausedUntil = until;
      this.counters.retryAfterPauses++;
    }
  }

  stats(): BudgetStats {
    return { ...this.counters };
  }

  private async takeToken(): Promise<void> {
    const started = this.now();
    for (;;) {
      const now = this.now();
      if (now < this.pausedUntil) {
        await this.sleep(this.pausedUntil - now);
        continue;
      }
      this.refill(now);
      if (this.tokens >= 1) {
        this.tokens -= 1;
        this.counters.acquired++;
        this.counters.waitedMs += this.now() - started;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.options.ratePerSecond) * 1000));
    }
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.lastRefill) / 1000;
    this.tokens = Math.min(this.options.burst, this.tokens + elapsed * this.options.ratePerSecond);
    this.lastRefill = now;
  }
}

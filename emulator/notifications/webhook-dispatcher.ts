/**
 * Delivering notification payloads to generic webhooks: HTTP POST of the JSON with HTTP Basic auth
 * when the destination has a username/password, retried with exponential backoff on network errors,
 * 408, 429 and 5xx (Databricks documents no retry policy [U]; ours is bounded by webhookMaxAttempts).
 * Other 4xx answers are final. Deliveries run concurrently up to a limit so ten thousand runs finishing
 * together do not open ten thousand sockets.
 */
import pLimit from 'p-limit';
import type { FaultRegistry } from '../control/fault-registry.js';
import type { WebhookCounters } from '../control/stats.js';

export interface WebhookTarget {
  destinationId: string;
  url: string;
  username?: string;
  password?: string;
}

export interface DeliveryRecord {
  destinationId: string;
  eventType: string;
  attempts: number;
  outcome: 'sent' | 'failed' | 'dropped';
  status?: number;
  atMs: number;
}

const MAX_CONCURRENT = 32;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
const HISTORY_LIMIT = 1000;

export class WebhookDispatcher {
  /** At most MAX_CONCURRENT POSTs at once; the others wait in FIFO order. */
  private readonly slots = pLimit(MAX_CONCURRENT);
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly aborts = new Set<AbortController>();
  private closed = false;
  private readonly history: DeliveryRecord[] = [];

  constructor(
    private readonly faults: FaultRegistry,
    private readonly counters: WebhookCounters,
    private readonly settings: { maxAttempts: number; initialBackoffMs: number },
    private readonly onError: (message: string) => void,
    /** JSON text of a payload; exact for the bigint ids of the `int64-ids` dialect. */
    private readonly stringify: (payload: object) => string = JSON.stringify,
  ) {}

  /** Fire and forget: the outcome shows up in the counters and in recentDeliveries(). */
  deliver(target: WebhookTarget, payload: { event_type: string }): void {
    if (this.closed) return;
    const fault = this.faults.matchWebhook(target.destinationId);
    if (fault?.webhook === 'drop') {
      this.counters.dropped++;
      this.record({
        destinationId: target.destinationId,
        eventType: payload.event_type,
        attempts: 0,
        outcome: 'dropped',
      });
      return;
    }
    const copies = fault?.webhook === 'duplicate' ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    const delayMs = fault?.webhook === 'delay' ? (fault.delayMs ?? 1000) : 0;
    for (let i = 0; i < copies; i++) {
      this.after(delayMs, () => void this.attemptLoop(target, payload));
    }
  }

  recentDeliveries(): readonly DeliveryRecord[] {
    return this.history;
  }

  clearHistory(): void {
    this.history.length = 0;
  }

  /** Stop retrying and abort deliveries in flight (emulator shutdown). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const abort of this.aborts) abort.abort();
    // Deliveries still waiting for a slot find `closed` set when their turn comes and send nothing.
  }

  private async attemptLoop(target: WebhookTarget, payload: { event_type: string }): Promise<void> {
    const body = this.stringify(payload);
    let status: number | undefined;
    for (let attempt = 1; attempt <= this.settings.maxAttempts && !this.closed; attempt++) {
      if (attempt > 1) {
        this.counters.retried++;
        const backoff = Math.min(MAX_BACKOFF_MS, this.settings.initialBackoffMs * 2 ** (attempt - 2));
        await new Promise<void>((resolve) => this.after(backoff, resolve));
        if (this.closed) return;
      }
      status = await this.post(target, body);
      if (status !== undefined && status >= 200 && status < 300) {
        this.counters.sent++;
        this.record({
          destinationId: target.destinationId,
          eventType: payload.event_type,
          attempts: attempt,
          outcome: 'sent',
          status,
        });
        return;
      }
      const retryable = status === undefined || status === 408 || status === 429 || status >= 500;
      if (!retryable) break;
    }
    if (this.closed) return;
    this.counters.failed++;
    this.onError(
      `webhook delivery to destination ${target.destinationId} failed (${status ?? 'no response'})`,
    );
    this.record({
      destinationId: target.destinationId,
      eventType: payload.event_type,
      attempts: this.settings.maxAttempts,
      outcome: 'failed',
      ...(status !== undefined ? { status } : {}),
    });
  }

  /** One POST when a slot is free; the status, or undefined for a network error, timeout or shutdown. */
  private post(target: WebhookTarget, body: string): Promise<number | undefined> {
    return this.slots(() => (this.closed ? undefined : this.postNow(target, body)));
  }

  private async postNow(target: WebhookTarget, body: string): Promise<number | undefined> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const timeout = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (target.username !== undefined || target.password !== undefined) {
        const credentials = `${target.username ?? ''}:${target.password ?? ''}`;
        headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      }
      const response = await fetch(target.url, { method: 'POST', headers, body, signal: abort.signal });
      await response.arrayBuffer().catch(() => undefined);
      return response.status;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timeout);
      this.aborts.delete(abort);
    }
  }

  private after(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private record(entry: Omit<DeliveryRecord, 'atMs'>): void {
    this.history.push({ ...entry, atMs: Date.now() });
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
  }
}

/**
 * Delivers OpenLineage events without ever failing or slowing a workflow: the sink only queues (the
 * workflow task never waits for delivery); one event at a time goes out, in order, so a run's START
 * reaches the server before its COMPLETE; a failed delivery is retried a few times with back-off and
 * then dropped with a warning that names the target (never a key). The queue is bounded: when the
 * server is away for long, new events are dropped (and counted in the next warning) rather than
 * growing the worker's memory.
 */
import type { LineageFact } from '../../shared/lineage-facts.js';
import { buildRunEvent, type EventSettings, type RunEvent } from './event.js';
import { DeliveryError, type LineageTransport } from './transport.js';

/** How a {@link LineageEmitter} builds and delivers events. */
export interface EmitterOptions extends EventSettings {
  transport: LineageTransport;
  /** Told about dropped events. */
  warn(message: string, meta: Record<string, unknown>): void;
  /** Events waiting at most; default 10,000 (an event is ~1 KB). */
  maxQueue?: number;
  /** Tries after the first; default 3. */
  retries?: number;
  /** The first retry's delay, doubled for each next; default 500 ms. */
  backoffMs?: number;
}

/** Turns workflow facts into OpenLineage events and delivers them in the background (see the file's comment). */
export class LineageEmitter {
  private readonly queue: RunEvent[] = [];
  private sending: Promise<void> | undefined;
  private overflowed = 0;
  private closed = false;
  /** Where events go (the transport's URL or path; never a key). */
  readonly target: string;

  constructor(private readonly options: EmitterOptions) {
    this.target = options.transport.target;
  }

  /** Queues the event for a fact; returns at once. Never throws (a bad fact is dropped with a warning). */
  emit(fact: LineageFact): void {
    if (this.closed) return;
    let event: RunEvent;
    try {
      event = buildRunEvent(fact, this.options);
    } catch (err) {
      this.options.warn('OpenLineage event not built; dropped', {
        workflowId: fact.workflow.workflowId,
        eventType: fact.state,
        error: (err as Error).message,
      });
      return;
    }
    if (this.queue.length >= (this.options.maxQueue ?? 10_000)) {
      this.overflowed++;
      return;
    }
    this.queue.push(event);
    this.sending ??= this.drain().finally(() => (this.sending = undefined));
  }

  /** Resolves once every queued event is delivered or dropped, or after timeoutMs: true when idle. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.sending && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.sending,
        new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
    }
    return this.sending === undefined;
  }

  /** Stops taking events and waits (up to timeoutMs) for those queued. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    await this.flush(timeoutMs);
    await this.options.transport.close?.();
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) {
      await this.deliver(event);
      if (this.overflowed > 0) {
        this.options.warn('OpenLineage queue full; events dropped', {
          target: this.target,
          dropped: this.overflowed,
        });
        this.overflowed = 0;
      }
    }
  }

  private async deliver(event: RunEvent): Promise<void> {
    const retries = this.options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.transport.send(event);
        return;
      } catch (err) {
        const retryable = !(err instanceof DeliveryError) || err.retryable;
        if (!retryable || attempt >= retries) {
          this.options.warn('OpenLineage event dropped', {
            target: this.target,
            eventType: event.eventType,
            job: event.job.name,
            runId: event.run.runId,
            tries: attempt + 1,
            error: (err as Error).message,
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, (this.options.backoffMs ?? 500) * 2 ** attempt));
      }
    }
  }
}

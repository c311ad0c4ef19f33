/** Where emitted events go: one HTTP endpoint or one file (LAKELOOP_OPENLINEAGE_TRANSPORT). */
import type { RunEvent } from './event.js';

/** Delivers events somewhere: an HTTP endpoint or a JSON-lines file (`lineageEmitterFor` picks one). */
export interface LineageTransport {
  /** Where events go, for logs: a URL or a path, never a credential. */
  readonly target: string;
  /** Delivers one event; rejects with a DeliveryError (or any error: then retried). */
  send(event: RunEvent): Promise<void>;
  /** Releases what it holds (nothing for HTTP and files today). */
  close?(): Promise<void>;
}

/** A failed delivery; `retryable: false` drops the event at once (e.g. a 400: the same body fails again). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

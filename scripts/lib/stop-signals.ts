/**
 * Stopping a script that runs the local stack exactly once. Ctrl-C in a terminal sends SIGINT to the
 * whole foreground process group — npm and this script — and npm forwards its own copy to us again:
 * with `process.once` the second SIGINT found no handler and killed the script halfway through its
 * clean-up, leaving `.lakeloop/stack.env` behind. Here every SIGINT, SIGTERM and SIGHUP after the first
 * is ignored, and the stack's children run in their own process group (scripts/lib/local-stack.ts),
 * so only the script decides when and in which order they stop.
 */

export interface StopRequest {
  /** Resolves with the first signal (or reason) that asked to stop. */
  readonly requested: Promise<string>;
  /** Set once a stop was asked for. */
  reason(): string | undefined;
  /** Asks to stop for another reason (the parent process went away, the server exited). */
  request(reason: string): void;
}

export function onStopSignals(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']): StopRequest {
  let reason: string | undefined;
  let resolve!: (reason: string) => void;
  const requested = new Promise<string>((r) => (resolve = r));
  const request = (why: string) => {
    if (reason !== undefined) return;
    reason = why;
    resolve(why);
  };
  // Kept for the life of the process: a handler that is gone lets the next signal kill us.
  for (const signal of signals) process.on(signal, () => request(signal));
  return { requested, reason: () => reason, request };
}

/** How a run's caught-up end reads, alike in the Web UI's current details and the CLI's status. */
import type { CaughtUp } from './run-types.js';

/**
 * "after receiver restart: its end notification was missed while no receiver listened (…)", for the
 * Web UI's current details and the CLI's status.
 */
export function describeCaughtUp(c: CaughtUp): string {
  const window = c.receiverDownSince
    ? `from ${c.receiverDownSince} to ${c.receiverUpAt}`
    : `until ${c.receiverUpAt}`;
  return `after ${c.reason}: the run's end notification was missed while no receiver listened (${window})`;
}

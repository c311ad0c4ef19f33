import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_DURATION_MS = 365 * 86_400_000;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** "30s", "5m", "1.5h", "2d" or a number of milliseconds → milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = DURATION.exec(value.trim());
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined;
}

/** A positive duration given as "30s"/"5m"/"1h"/"2d" or milliseconds; parsed to milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration such as "30s", "5m", "2h" or milliseconds (got ${JSON.stringify(value)})`,
    });
    return z.NEVER;
  }
  if (ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a positive duration (got ${JSON.stringify(value)})` });
    return z.NEVER;
  }
  // Temporal timers and timeouts need whole milliseconds, and nothing Lakeloop waits for runs a year.
  if (ms < 1 || ms > MAX_DURATION_MS) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration from 1ms to 365d (got ${JSON.stringify(value)})`,
    });
    return z.NEVER;
  }
  return Math.round(ms);
});

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * Structured logs: one JSON object per line (timestamp, level, message, then context such as
 * workflowId, runId, activity, step, databricksRunId), or a human-readable line when stdout is a TTY
 * (LAKELOOP_LOG_FORMAT overrides). Implements Temporal's `Logger`, so it is also the runtime logger:
 * workflow `log` and activity `log` calls arrive here with their context attached by the SDK.
 *
 * Values under secret-looking keys (authorization, token, secret, password, api key, cookie…) and
 * bearer credentials inside strings are replaced by "[REDACTED]" before anything is written.
 */
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';

export type LogFormat = 'json' | 'pretty';

const LEVEL_ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

const SECRET_KEY =
  /(authorization|token|secret|password|passwd|api[-_]?key|apikey|cookie|credential|private[-_]?key|assertion)/i;
/** Bearer / Basic credentials, Databricks PATs, and JWTs, wherever they appear in a string. */
const SECRET_VALUE = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\bdapi[0-9a-zA-Z-]{8,}\b/g,
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
];
export const REDACTED = '[REDACTED]';

/** SDK metadata names mapped onto Lakeloop's context names. */
const RENAMES: Record<string, string> = {
  workflowRunId: 'runId',
  activityType: 'activity',
};
/** Noise from the SDK's own metadata that adds nothing to a line. */
const DROPPED = new Set(['sdkComponent']);

export function redactString(text: string): string {
  return SECRET_VALUE.reduce(
    (s, pattern) =>
      s.replace(pattern, (match, scheme?: string) =>
        typeof scheme === 'string' && /^(bearer|basic)$/i.test(scheme) ? `${scheme} ${REDACTED}` : REDACTED,
      ),
    text,
  );
}

/** Deep copy with secret-looking keys and credential-looking strings redacted. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[…]';
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactString(value.message),
      ...(value.stack ? { stack: redactString(value.stack) } : {}),
    };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Default: pretty when `stream` is a TTY, JSON otherwise. */
  format?: LogFormat;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Context on every line (e.g. { component: 'worker' }). */
  context?: LogMetadata;
  now?: () => Date;
}

export class LakeloopLogger implements Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  private readonly stream: NodeJS.WritableStream;
  private readonly context: LogMetadata;
  private readonly now: () => Date;

  constructor(options: LoggerOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.level = options.level ?? 'INFO';
    this.format = options.format ?? ((this.stream as { isTTY?: boolean }).isTTY ? 'pretty' : 'json');
    this.context = options.context ?? {};
    this.now = options.now ?? (() => new Date());
  }

  /** A logger that adds `context` to every line (same stream, level and format). */
  child(context: LogMetadata): LakeloopLogger {
    return new LakeloopLogger({
      level: this.level,
      format: this.format,
      stream: this.stream,
      context: { ...this.context, ...context },
      now: this.now,
    });
  }

  isEnabled(level: LogLevel): boolean {
    return LEVEL_ORDER[level] >= LEVEL_ORDER[this.level];
  }

  /**
   * Lifecycle lines (started polling, stopped, listening on…) are written at INFO whatever the level:
   * they were always printed, and operators and supervisors wait for them.
   */
  notice(message: string, meta?: LogMetadata): void {
    this.write('INFO', message, meta);
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (this.isEnabled(level)) this.write(level, message, meta);
  }

  private write(level: LogLevel, message: string, meta?: LogMetadata): void {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries({ ...this.context, ...meta })) {
      if (DROPPED.has(key) || value === undefined) continue;
      fields[RENAMES[key] ?? key] = value;
    }
    const safe = redact(fields) as Record<string, unknown>;
    const timestamp = this.now().toISOString();
    const text = redactString(message);
    const line =
      this.format === 'json'
        ? JSON.stringify({ timestamp, level, message: text, ...safe })
        : prettyLine(timestamp, level, text, safe);
    this.stream.write(line + '\n');
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

function prettyLine(
  timestamp: string,
  level: LogLevel,
  message: string,
  fields: Record<string, unknown>,
): string {
  const context = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${timestamp} ${level.padEnd(5)} ${message}${context ? `  ${context}` : ''}`;
}

export function createLogger(options: LoggerOptions = {}): LakeloopLogger {
  return new LakeloopLogger(options);
}

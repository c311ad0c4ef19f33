/** How the run pages write times, durations and long texts. */

/** Emulated epoch ms as UTC ISO time ("2026-11-26 03:00:01.250Z"); 0 means "not yet". */
export function formatTime(epochMs: number): string {
  if (!(epochMs > 0)) return '—';
  return new Date(epochMs).toISOString().replace('T', ' ');
}

/** "850 ms", "12.4 s", "3 min 05 s", "2 h 01 min". */
export function formatDuration(ms: number): string {
  if (!(ms >= 0)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const totalSeconds = Math.round(seconds);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export interface Bounded {
  text: string;
  /** Bytes of the whole text, when only part of it is shown. */
  omittedFrom?: number;
}

/**
 * At most `limit` UTF-8 bytes of `text`: its end (a log's latest lines) or its start (a result, a
 * stack trace). A character cut in half at the edge is dropped, not shown as U+FFFD.
 */
export function bounded(text: string, limit: number, keep: 'start' | 'end'): Bounded {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return { text };
  const part = keep === 'end' ? bytes.subarray(bytes.length - limit) : bytes.subarray(0, limit);
  const decoded = part.toString('utf8');
  const trimmed = keep === 'end' ? decoded.replace(/^\uFFFD+/, '') : decoded.replace(/\uFFFD+$/, '');
  return { text: trimmed, omittedFrom: bytes.length };
}

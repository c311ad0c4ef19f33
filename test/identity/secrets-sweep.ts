/**
 * The secrets sweep of the identity tests: every log line the Temporal runtime emitted (TS and
 * forwarded Core logs, with their metadata), everything written to console.*, and the full history of
 * every workflow a test ran — searched for every secret the tests used or saw.
 *
 * Histories are searched twice: as the JSON `temporal workflow show` prints (payloads are base64
 * there) and as the decoded text of every base64 string in it (payload data, metadata, search
 * attributes), recursively, so a secret inside a workflow input, result, failure detail or memo is
 * found however it was encoded. A leak is reported by where it is and the secret's label, never by
 * the secret itself.
 */
import { format, inspect } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { Client } from '@temporalio/client';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';

export interface Haystack {
  /** Where the text came from ("history of wf-1", "worker log line 12"). */
  where: string;
  text: string;
}

export interface Secret {
  /** What it is ("SP client secret", "emulator token #3"); shown instead of the value. */
  label: string;
  value: string;
}

export interface Leak {
  where: string;
  label: string;
}

/** Every (haystack, secret) pair where the secret occurs; empty secrets are refused, not ignored. */
export function findLeaks(haystacks: readonly Haystack[], secrets: readonly Secret[]): Leak[] {
  const leaks: Leak[] = [];
  for (const secret of secrets) {
    // A short "secret" would match by accident and an empty one everywhere: both are test bugs.
    if (secret.value.length < 8) throw new Error(`secret "${secret.label}" is shorter than 8 characters`);
  }
  for (const { where, text } of haystacks) {
    for (const { label, value } of secrets) if (text.includes(value)) leaks.push({ where, label });
  }
  return leaks;
}

/** One line per leaked secret: where it was found (the first few places), never the secret itself. */
export function summariseLeaks(leaks: readonly Leak[]): string[] {
  const byLabel = new Map<string, string[]>();
  for (const { label, where } of leaks) byLabel.set(label, [...(byLabel.get(label) ?? []), where]);
  return [...byLabel].map(
    ([label, wheres]) => `${label}: in ${wheres.length} place(s), e.g. ${wheres.slice(0, 3).join('; ')}`,
  );
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decoded text of every base64 string in a JSON value, recursing into decoded JSON. */
function decodedStrings(value: unknown, out: string[], depth = 0): void {
  if (depth > 6) return;
  if (typeof value === 'string') {
    if (value.length >= 4 && value.length % 4 === 0 && BASE64.test(value)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      out.push(decoded);
      try {
        decodedStrings(JSON.parse(decoded), out, depth + 1);
      } catch {
        // not JSON: the decoded text itself is already searched
      }
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) decodedStrings(item, out, depth);
    return;
  }
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) decodedStrings(item, out, depth);
  }
}

/** A history as searchable text: its JSON, then the decoded text of every base64 string in it. */
export function searchableHistoryText(historyJson: string): string {
  const decoded: string[] = [];
  decodedStrings(JSON.parse(historyJson), decoded);
  return [historyJson, ...decoded].join('\n');
}

/** Fetches each workflow's full history through the client, as searchable text. */
export async function historyHaystacks(client: Client, workflowIds: readonly string[]): Promise<Haystack[]> {
  const haystacks: Haystack[] = [];
  // A few at a time: hundreds of histories, one dev server.
  for (let i = 0; i < workflowIds.length; i += 25) {
    const batch = workflowIds.slice(i, i + 25);
    const texts = await Promise.all(
      batch.map(async (id) => {
        const history = await client.workflow.getHandle(id).fetchHistory();
        if (!history.events?.length) throw new Error(`workflow ${id} has no history`);
        return { where: `history of ${id}`, text: searchableHistoryText(historyToJSON(history)) };
      }),
    );
    haystacks.push(...texts);
  }
  return haystacks;
}

/** JSON that keeps what plain JSON.stringify drops: error messages, stacks and causes, bigints. */
export function toJsonLine(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, function replacer(_key, v: unknown) {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) {
      const own: Record<string, unknown> = {};
      for (const key of Object.getOwnPropertyNames(v))
        own[key] = (v as unknown as Record<string, unknown>)[key];
      return { name: v.name, message: v.message, stack: v.stack, ...own, cause: v.cause };
    }
    if (v && typeof v === 'object') {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
}

/**
 * Records every line the Temporal runtime logs (use `logger` and `telemetryOptions` in
 * Runtime.install) and, between `captureConsole()` and `restoreConsole()`, every console.* call.
 */
export class LogCapture {
  readonly runtimeLines: string[] = [];
  readonly consoleLines: string[] = [];
  readonly logger = new DefaultLogger('TRACE', (entry: LogEntry) => {
    this.runtimeLines.push(toJsonLine(entry));
  });
  /** Core's own logs (INFO and up: DEBUG adds ~20k lines and seconds per run) go to `logger` too. */
  readonly telemetryOptions = { logging: { filter: { core: 'INFO', other: 'INFO' }, forward: {} } } as const;
  private readonly originals = new Map<string, (...args: unknown[]) => void>();

  captureConsole(): void {
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[method].bind(console) as (...args: unknown[]) => void;
      this.originals.set(method, original);
      console[method] = (...args: unknown[]) => {
        this.consoleLines.push(
          toJsonLine({ method, text: format(...args), args: args.map((a) => inspect(a, { depth: 8 })) }),
        );
        if (method === 'warn' || method === 'error') original(...args);
      };
    }
  }

  restoreConsole(): void {
    for (const [method, original] of this.originals) {
      (console as unknown as Record<string, unknown>)[method] = original;
    }
    this.originals.clear();
  }

  haystacks(): Haystack[] {
    return [
      ...this.runtimeLines.map((text, i) => ({ where: `runtime log line ${i + 1}`, text })),
      ...this.consoleLines.map((text, i) => ({ where: `console line ${i + 1}`, text })),
    ];
  }
}

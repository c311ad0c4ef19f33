/**
 * Searching text for secrets, shared by the identity tests' own sweeps and the suite-wide sweep the
 * global teardown runs (test/setup/secrets-sweep-run.ts): every log line the Temporal runtime emitted
 * (TS and forwarded Core logs, with their metadata), everything written to console.*, and the full
 * history of every workflow — searched for every secret the tests used or saw.
 *
 * Histories are searched twice: as the JSON `temporal workflow show` prints (payloads are base64
 * there) and as the decoded text of every base64 string in it (payload data, metadata, search
 * attributes), recursively, so a secret inside a workflow input, result, failure detail or memo is
 * found however it was encoded. A leak is reported by where it is and the secret's label, never by
 * the secret itself.
 */
import { createHash } from 'node:crypto';
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

/** Secrets shorter than this match by accident (and an empty one everywhere). */
export const MIN_SECRET_LENGTH = 8;
const HASH_BASE = 31;
/** HASH_BASE^(MIN_SECRET_LENGTH - 1), wrapped to 32 bits like the rolling hash itself. */
const HASH_TOP = Array.from({ length: MIN_SECRET_LENGTH - 1 }).reduce<number>(
  (power) => Math.imul(power, HASH_BASE),
  1,
);

/**
 * Finds which of many secrets occur in a text in one pass: a rolling hash of every
 * MIN_SECRET_LENGTH-character window is looked up among the secrets' first windows, and only a hit
 * is compared in full. A run records thousands of tokens and hundreds of megabytes of history text;
 * `text.includes` per secret would cost their product.
 */
export class SecretMatcher {
  private readonly byFirstWindow = new Map<number, number[]>();

  constructor(readonly secrets: readonly Secret[]) {
    secrets.forEach((secret, index) => {
      if (secret.value.length < MIN_SECRET_LENGTH) {
        // A test bug, not a pass: the secret could never be told apart from ordinary text.
        throw new Error(`secret "${secret.label}" is shorter than ${MIN_SECRET_LENGTH} characters`);
      }
      let hash = 0;
      for (let i = 0; i < MIN_SECRET_LENGTH; i++)
        hash = (Math.imul(hash, HASH_BASE) + secret.value.charCodeAt(i)) | 0;
      const bucket = this.byFirstWindow.get(hash);
      if (bucket) bucket.push(index);
      else this.byFirstWindow.set(hash, [index]);
    });
  }

  /** Index of each secret found in `text` → the offset of its first occurrence. */
  find(text: string): Map<number, number> {
    const found = new Map<number, number>();
    if (text.length < MIN_SECRET_LENGTH || this.secrets.length === 0) return found;
    let hash = 0;
    for (let i = 0; i < MIN_SECRET_LENGTH; i++) hash = (Math.imul(hash, HASH_BASE) + text.charCodeAt(i)) | 0;
    for (let start = 0; ; start++) {
      const candidates = this.byFirstWindow.get(hash);
      if (candidates) {
        for (const index of candidates) {
          if (!found.has(index) && text.startsWith(this.secrets[index]!.value, start))
            found.set(index, start);
        }
      }
      const next = start + MIN_SECRET_LENGTH;
      if (next >= text.length) break;
      hash =
        (Math.imul(hash - Math.imul(text.charCodeAt(start), HASH_TOP), HASH_BASE) + text.charCodeAt(next)) |
        0;
    }
    return found;
  }
}

/** Every (haystack, secret) pair where the secret occurs; secrets shorter than 8 characters are refused. */
export function findLeaks(haystacks: readonly Haystack[], secrets: readonly Secret[]): Leak[] {
  const matcher = new SecretMatcher(secrets);
  const leaks: Leak[] = [];
  for (const { where, text } of haystacks) {
    const found = matcher.find(text);
    secrets.forEach(({ label }, index) => {
      if (found.has(index)) leaks.push({ where, label });
    });
  }
  return leaks;
}

/**
 * Enough to tell which secret leaked without printing it: its length and a digest prefix (to compare
 * with a suspect value), plus its first 4 characters when that leaves most of it unknown.
 */
export function fingerprint(value: string): string {
  const digest = createHash('sha256').update(value).digest('hex').slice(0, 12);
  const prefix = value.length >= 16 ? `"${value.slice(0, 4)}…", ` : '';
  return `${prefix}${value.length} chars, sha256 ${digest}`;
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

/**
 * Every credential the emulator accepts, behind one seam: static PATs from the command line, and
 * tokens the emulator issues itself (the short-lived token each Python task gets, and the access
 * tokens of the OAuth M2M and token-exchange grants at /oidc/v1/token).
 *
 * Tokens are kept only as SHA-256 digests, so neither a heap snapshot nor a debug dump of the registry
 * contains a usable secret, and nothing here ever logs one. Expiry uses the wall clock, not emulated
 * time: a client computes "expires in 3600 s" with its own clock, and a time-scaled emulator must not
 * make its tokens die early.
 */
import { createHash, randomBytes } from 'node:crypto';

export type TokenKind = 'pat' | 'task' | 'oauth';

export interface TokenRecord {
  kind: TokenKind;
  /** The user or service principal the token authenticates as. */
  principal: string;
  /** Wall-clock expiry in epoch ms; absent for tokens that never expire. */
  expiresAtMs?: number;
}

export type TokenCheck =
  { ok: true; record: TokenRecord } | { ok: false; reason: 'missing' | 'unknown' | 'expired' };

export interface IssuedToken {
  token: string;
  expiresAtMs: number;
}

/** How long an expired token is still recognised as "expired" rather than "unknown". */
const EXPIRED_MEMORY_MS = 24 * 60 * 60 * 1000;

/** Sees every token `issue` mints, in process only (the tests' secrets sweep); never exposed over HTTP. */
export type IssueListener = (token: string, record: Readonly<TokenRecord>) => void;

export class TokenRegistry {
  private readonly records = new Map<string, TokenRecord>();
  private issued = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly onIssue?: IssueListener,
  ) {}

  /** Accept `token` until the registry is discarded (a PAT given on the command line). */
  registerStatic(token: string, principal: string): void {
    this.records.set(digest(token), { kind: 'pat', principal });
  }

  /** Mint a new random token valid for `ttlMs` wall-clock milliseconds. */
  issue(kind: TokenKind, principal: string, ttlMs: number): IssuedToken {
    const token = `dapi${randomBytes(16).toString('hex')}`;
    const expiresAtMs = this.now() + ttlMs;
    const record: TokenRecord = { kind, principal, expiresAtMs };
    this.records.set(digest(token), record);
    this.issued++;
    this.forgetLongExpired();
    this.onIssue?.(token, record);
    return { token, expiresAtMs };
  }

  /** Make `token` invalid immediately (a finished task's token, a revoked grant). */
  revoke(token: string): void {
    const record = this.records.get(digest(token));
    if (record) record.expiresAtMs = Math.min(record.expiresAtMs ?? Number.POSITIVE_INFINITY, this.now());
  }

  /**
   * Expire, now, every issued token of `kind` that `matches` (all of that kind when omitted): the
   * control API's "revoke all OAuth tokens" and a deactivated service principal. Returns how many
   * were still valid.
   */
  revokeIssued(
    kind: Exclude<TokenKind, 'pat'>,
    matches: (record: TokenRecord) => boolean = () => true,
  ): number {
    const now = this.now();
    let revoked = 0;
    for (const record of this.records.values()) {
      if (record.kind !== kind || !matches(record)) continue;
      if (record.expiresAtMs === undefined || record.expiresAtMs > now) revoked++;
      record.expiresAtMs = Math.min(record.expiresAtMs ?? Number.POSITIVE_INFINITY, now);
    }
    return revoked;
  }

  validate(token: string | undefined): TokenCheck {
    if (!token) return { ok: false, reason: 'missing' };
    const record = this.records.get(digest(token));
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.expiresAtMs !== undefined && record.expiresAtMs <= this.now()) {
      return { ok: false, reason: 'expired' };
    }
    return { ok: true, record };
  }

  /** Tokens minted by `issue` since start (or the last clearIssued). */
  get issuedCount(): number {
    return this.issued;
  }

  /** Drop every issued token, keep static PATs (the control API's reset). */
  clearIssued(): void {
    for (const [key, record] of this.records) if (record.kind !== 'pat') this.records.delete(key);
    this.issued = 0;
  }

  private forgetLongExpired(): void {
    // Amortised: only sweep when the map has grown, so issuing stays O(1) on average.
    if (this.records.size < 1024 || this.records.size % 1024 !== 0) return;
    const horizon = this.now() - EXPIRED_MEMORY_MS;
    for (const [key, record] of this.records) {
      if (record.expiresAtMs !== undefined && record.expiresAtMs < horizon) this.records.delete(key);
    }
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

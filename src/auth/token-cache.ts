import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { redactString } from '../observability/logger.js';
import type { AccessToken, AuthType, TokenProvider, TokenStats } from './types.js';

const FIVE_MINUTES = 5 * 60_000;
/** Databricks rejects tokens that expire within ~30 s; the SDKs stop using them at 40 s. */
const EXPIRY_FLOOR = 40_000;

export interface TokenCacheEvents {
  onRefresh?(authType: AuthType): void;
  onRefreshFailure?(authType: AuthType, error: unknown): void;
}

/**
 * Caches one token and refreshes it before it runs out:
 *  - refresh once less than min(lifetime / 2, 5 min) is left;
 *  - never hand out a token with less than min(40 s, lifetime / 4) left. The 40 s floor is the
 *    Databricks SDKs' rule; scaling it down for very short lifetimes (test tokens of a few seconds)
 *    keeps such tokens usable at all;
 *  - one refresh at a time: concurrent callers share the same in-flight request;
 *  - if a refresh fails while the current token is still usable, keep using it (and retry next call).
 */
export class CachingTokenProvider implements TokenProvider {
  private current: AccessToken | undefined;
  private inflight: Promise<AccessToken> | undefined;
  private readonly counters: TokenStats = { refreshes: 0, refreshFailures: 0 };

  constructor(
    readonly authType: AuthType,
    private readonly fetchToken: () => Promise<AccessToken>,
    private readonly events: TokenCacheEvents = {},
    private readonly now: () => number = Date.now,
  ) {}

  async getToken(): Promise<AccessToken> {
    const cached = this.current;
    if (cached && !shouldRefresh(cached, this.now())) return cached;
    try {
      return await this.refresh();
    } catch (err) {
      if (cached && this.current === cached && isUsable(cached, this.now())) return cached;
      throw err;
    }
  }

  invalidate(token: string): void {
    if (this.current?.value === token) this.current = undefined;
  }

  stats(): TokenStats {
    return { ...this.counters };
  }

  private refresh(): Promise<AccessToken> {
    this.inflight ??= this.fetchTokenTraced()
      .then((token) => {
        this.current = token;
        this.counters.refreshes++;
        this.events.onRefresh?.(this.authType);
        return token;
      })
      .catch((err: unknown) => {
        this.counters.refreshFailures++;
        this.events.onRefreshFailure?.(this.authType, err);
        throw err;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  /** A span around the exchange (OAuth / federation), carrying the method and lifetime, never a token. */
  private async fetchTokenTraced(): Promise<AccessToken> {
    if (this.authType === 'pat') return this.fetchToken(); // nothing is exchanged
    const span = trace.getTracer('lakeloop.auth').startSpan('databricks token exchange', {
      kind: SpanKind.CLIENT,
      attributes: { 'databricks.auth_type': this.authType },
    });
    try {
      const token = await this.fetchToken();
      if (span.isRecording() && token.expiresAt !== Infinity) {
        span.setAttribute('databricks.token.lifetime_s', Math.round(lifetime(token) / 1000));
      }
      return token;
    } catch (err) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: redactString((err as Error)?.message ?? String(err)),
      });
      throw err;
    } finally {
      span.end();
    }
  }
}

function lifetime(token: AccessToken): number {
  return Math.max(0, token.expiresAt - token.obtainedAt);
}

export function shouldRefresh(token: AccessToken, now: number): boolean {
  if (token.expiresAt === Infinity) return false;
  return token.expiresAt - now <= Math.min(lifetime(token) / 2, FIVE_MINUTES);
}

export function isUsable(token: AccessToken, now: number): boolean {
  if (token.expiresAt === Infinity) return true;
  return token.expiresAt - now > Math.min(EXPIRY_FLOOR, lifetime(token) / 4);
}

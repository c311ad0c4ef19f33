/**
 * The workspace's service principals and their OAuth secrets (`--service-principal ID:SECRET[:NAME]`).
 * The control API can rotate a secret or deactivate a principal, so tests can see what a worker sees
 * when an operator does either. Secrets are kept as SHA-256 digests and compared in constant time, like
 * the token registry's tokens: nothing here holds a usable secret after start-up.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ServicePrincipalConfig {
  /** The application id: the OAuth client_id and the SCIM userName. */
  applicationId: string;
  secret: string;
  displayName?: string;
}

export interface ServicePrincipal {
  applicationId: string;
  displayName: string;
  active: boolean;
}

interface Entry extends ServicePrincipal {
  secretDigest: Buffer;
}

export type ClientCheck =
  { ok: true; principal: ServicePrincipal } | { ok: false; reason: 'unknown' | 'inactive' | 'wrong-secret' };

export class ServicePrincipalStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly configured: readonly ServicePrincipalConfig[]) {
    this.restore();
  }

  /** Back to the command-line configuration: original secrets, every principal active. */
  restore(): void {
    this.entries.clear();
    for (const sp of this.configured) {
      this.entries.set(sp.applicationId, {
        applicationId: sp.applicationId,
        displayName: sp.displayName ?? sp.applicationId,
        active: true,
        secretDigest: digest(sp.secret),
      });
    }
  }

  get(applicationId: string): ServicePrincipal | undefined {
    const entry = this.entries.get(applicationId);
    return entry && publicView(entry);
  }

  /** Client authentication for the client-credentials grant. */
  authenticate(applicationId: string, secret: string): ClientCheck {
    const entry = this.entries.get(applicationId);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (!timingSafeEqual(entry.secretDigest, digest(secret))) return { ok: false, reason: 'wrong-secret' };
    if (!entry.active) return { ok: false, reason: 'inactive' };
    return { ok: true, principal: publicView(entry) };
  }

  /** Replace the secret (with `secret`, or a new random one, returned); the old one stops working. */
  rotateSecret(applicationId: string, secret?: string): string | undefined {
    const entry = this.entries.get(applicationId);
    if (!entry) return undefined;
    const next = secret ?? `dose${randomBytes(24).toString('hex')}`;
    entry.secretDigest = digest(next);
    return next;
  }

  /** Deactivate the principal: no more tokens for it (the caller also revokes the ones it holds). */
  deactivate(applicationId: string): boolean {
    const entry = this.entries.get(applicationId);
    if (!entry) return false;
    entry.active = false;
    return true;
  }
}

function publicView(entry: Entry): ServicePrincipal {
  return { applicationId: entry.applicationId, displayName: entry.displayName, active: entry.active };
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

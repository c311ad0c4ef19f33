/** What the two grants share: their dependencies and their result, which the token endpoint turns into a token. */
import type { FederationPolicy } from './federation-policy.js';
import type { ServicePrincipalStore } from './service-principals.js';
import type { SubjectTokenVerifier } from './subject-token.js';

export type GrantKind = 'client_credentials' | 'token_exchange';

export interface GrantDeps {
  servicePrincipals: ServicePrincipalStore;
  policies: readonly FederationPolicy[];
  verifier: SubjectTokenVerifier;
  /** `--token-ttl`: the lifetime of every access token the emulator issues, at most. */
  tokenTtlSeconds: number;
  now: () => number;
}

export interface GrantResult {
  kind: GrantKind;
  /** Who the access token authenticates as (a service principal's application id, or a user name). */
  principal: string;
  expiresInSeconds: number;
}

/** The scopes Databricks workspaces advertise and grant. */
export const SUPPORTED_SCOPES = ['all-apis', 'offline_access'] as const;

/**
 * Token federation policies (`--federation-policy JSON`), in the shape of Databricks' `oidc_policy`
 * plus `client_id`: present, the policy belongs to that service principal (a service-principal
 * federation policy, which Databricks requires to name a `subject`); absent, it is account-wide and the
 * token authenticates as the identity its subject claim names.
 */
import { z } from 'zod';

const httpUrl = z.url({ protocol: /^https?$/ });

export const federationPolicySchema = z
  .strictObject({
    issuer: httpUrl,
    audiences: z.array(z.string().min(1)).min(1),
    subject: z.string().min(1).optional(),
    subject_claim: z.string().min(1).optional(),
    client_id: z.string().min(1).optional(),
    /** Where the issuer's keys are; default: `jwks_uri` of `{issuer}/.well-known/openid-configuration`. */
    jwks_uri: httpUrl.optional(),
  })
  .refine((policy) => policy.client_id === undefined || policy.subject !== undefined, {
    message: 'a service-principal federation policy (with client_id) must name a subject',
    path: ['subject'],
  });

export type FederationPolicy = z.infer<typeof federationPolicySchema>;

/** Parses one `--federation-policy` value; the error names the field at fault. */
export function parseFederationPolicy(json: string): FederationPolicy {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`--federation-policy expects a JSON object: ${(error as Error).message}`);
  }
  const parsed = federationPolicySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`--federation-policy: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function subjectClaim(policy: FederationPolicy): string {
  return policy.subject_claim ?? 'sub';
}

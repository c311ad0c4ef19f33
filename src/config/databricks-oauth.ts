/**
 * The settings that say where a Databricks host's OAuth server is, named as in the Databricks SDKs
 * (databricks-sdk-go config/config.go, databricks-sdk-py databricks/sdk/config.py):
 *  - DATABRICKS_ACCOUNT_ID (profile key `account_id`): required when DATABRICKS_HOST is an account
 *    console (`https://accounts.…`), whose OAuth server lives under /oidc/accounts/{account_id};
 *  - DATABRICKS_DISCOVERY_URL (profile key `discovery_url`): the OAuth authorization-server metadata
 *    URL, for a host whose server is somewhere the SDKs' rules would not look.
 * See src/auth/databricks-discovery.ts for how they are used.
 */
import { z } from 'zod';
import { isAccountConsoleHost } from '../auth/databricks-discovery.js';
import { isSecureOrLoopback } from '../auth/loopback.js';
import { describeIssues } from './env.js';

export interface DatabricksOAuthEndpointSettings {
  accountId?: string;
  discoveryUrl?: string;
}

const NAMES = { accountId: 'DATABRICKS_ACCOUNT_ID', discoveryUrl: 'DATABRICKS_DISCOVERY_URL' };

const schema = z.object({
  // Substituted into a URL path, so nothing that would change the path (`/`, `?`, `#`, spaces).
  accountId: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'expected the Databricks account id from the account console, e.g. 0d26daa6-5e44-4c97-a497-ef015f91254a',
    )
    .optional(),
  discoveryUrl: z
    .string()
    .refine(
      (raw) => URL.canParse(raw) && isSecureOrLoopback(new URL(raw)),
      'expected the https:// URL of an OAuth authorization-server metadata document, e.g. ' +
        'https://adb-123.4.azuredatabricks.net/oidc/.well-known/oauth-authorization-server ' +
        '(plain http only on loopback)',
    )
    .optional(),
});

/**
 * Validates the two settings for an OAuth method (PATs need neither). `host` is the normalised
 * DATABRICKS_HOST, when it was valid.
 */
export function loadOAuthEndpointSettings(
  raw: { accountId?: string; discoveryUrl?: string },
  host: string | undefined,
  problems: string[],
): DatabricksOAuthEndpointSettings | undefined {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...describeIssues(parsed.error, NAMES));
    return undefined;
  }
  const { accountId, discoveryUrl } = parsed.data;
  if (host && isAccountConsoleHost(host) && !accountId && !discoveryUrl) {
    problems.push(
      `DATABRICKS_ACCOUNT_ID: required when DATABRICKS_HOST is an account console (${host}): its OAuth ` +
        'server is under /oidc/accounts/{account_id} (or set DATABRICKS_DISCOVERY_URL)',
    );
    return undefined;
  }
  return { ...(accountId ? { accountId } : {}), ...(discoveryUrl ? { discoveryUrl } : {}) };
}

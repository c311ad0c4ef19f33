/**
 * The stack's local Databricks workspace: the emulator in this process, a demo service principal the
 * worker authenticates as with OAuth M2M (short-lived tokens, as in production), and a notification
 * destination pointing at the worker's webhook receiver.
 */
import { randomBytes } from 'node:crypto';
import { SearchAttributeType } from '@temporalio/common';
import type { EmulatorOptions } from '../../emulator/options.js';
import { startEmulator } from '../../emulator/server.js';
import { DatabricksRunId } from '../../src/shared/search-attributes.js';
import { NOTIFICATIONS_PATH } from '../../src/webhooks/receiver.js';
import { freePort } from './processes.js';
import type { StackService } from './stack.js';

export const DEMO_SERVICE_PRINCIPAL = 'lakeloop-local-sp';

export interface WorkspaceServiceOptions {
  /** Emulator port; 0 picks a free one. */
  port: number;
  /** Persist the emulator's state (runs survive a restart of the stack with --keep-data). */
  statePath?: string;
  /** Emulated time runs this many times faster (for demos and benchmarks). */
  timeScale?: number;
  /** Lifetime of issued OAuth tokens, in seconds. */
  tokenTtlSeconds?: number;
}

/**
 * Where the emulator's run pages link for "the Temporal workflow that owns this run": the namespace's
 * workflow list filtered by DatabricksRunId, with the literal Lakeloop's registration of that
 * attribute needs (a Keyword takes the quoted decimal id, an Int the bare number).
 */
export function temporalLinkOptions(
  temporalUiUrl: string | undefined,
): Pick<EmulatorOptions, 'temporalUiUrl' | 'temporalRunIdType'> {
  return {
    // No UI (the cluster stack): run pages carry no workflow link.
    ...(temporalUiUrl !== undefined ? { temporalUiUrl } : {}),
    temporalRunIdType: (DatabricksRunId.type as string) === SearchAttributeType.INT ? 'Int' : 'Keyword',
  };
}

export function workspaceService(options: WorkspaceServiceOptions): StackService {
  return {
    name: 'databricks emulator',
    async start(settings) {
      // Fresh secrets every start: they only ever live in this process and .lakeloop/stack.env (0600).
      const clientSecret = randomBytes(24).toString('base64url');
      const webhookPassword = randomBytes(24).toString('base64url');
      const emulator = await startEmulator({
        port: options.port,
        pats: [],
        servicePrincipals: [
          {
            applicationId: DEMO_SERVICE_PRINCIPAL,
            secret: clientSecret,
            displayName: 'Lakeloop local worker',
          },
        ],
        tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
        statePath: options.statePath,
        timeScale: options.timeScale ?? 1,
        // Run pages link to the workflow that owns each run, in this stack's Temporal UI.
        ...temporalLinkOptions(settings.temporalUiUrl),
        log: () => undefined,
      });
      try {
        const webhookPort = await freePort();
        const destinationId = await createDestination(emulator.url, DEMO_SERVICE_PRINCIPAL, clientSecret, {
          url: `http://127.0.0.1:${webhookPort}${NOTIFICATIONS_PATH}`,
          password: webhookPassword,
        });
        Object.assign(settings.env, {
          DATABRICKS_HOST: emulator.url,
          DATABRICKS_AUTH_TYPE: 'oauth-m2m',
          DATABRICKS_CLIENT_ID: DEMO_SERVICE_PRINCIPAL,
          DATABRICKS_CLIENT_SECRET: clientSecret,
          LAKELOOP_WEBHOOK_PORT: String(webhookPort),
          LAKELOOP_WEBHOOK_USERNAME: 'databricks',
          LAKELOOP_WEBHOOK_PASSWORD: webhookPassword,
          LAKELOOP_WEBHOOK_DESTINATION_ID: destinationId,
        });
        settings.addresses.push(['Databricks (emulated)', emulator.url]);
        settings.addresses.push(['Webhook receiver', `http://127.0.0.1:${webhookPort}${NOTIFICATIONS_PATH}`]);
      } catch (err) {
        await emulator.close();
        throw err;
      }
      return { stop: () => emulator.close() };
    },
  };
}

/** Registers the receiver as a generic-webhook destination, authenticating as the service principal. */
export async function createDestination(
  host: string,
  clientId: string,
  clientSecret: string,
  webhook: { url: string; password: string },
): Promise<string> {
  const tokenResponse = await fetch(`${host}/oidc/v1/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=all-apis',
  });
  if (!tokenResponse.ok) throw new Error(`emulator token endpoint answered ${tokenResponse.status}`);
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const response = await fetch(`${host}/api/2.0/notification-destinations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      display_name: 'Lakeloop webhook receiver',
      config: { generic_webhook: { url: webhook.url, username: 'databricks', password: webhook.password } },
    }),
  });
  if (!response.ok) throw new Error(`creating the notification destination failed: ${response.status}`);
  const destinationId = ((await response.json()) as { id: string }).id;
  await createModelSchema(host, token);
  return destinationId;
}

/**
 * The Unity Catalog schema the example pipeline's model lives in (pipelines/churn.json registers
 * `main.ml.churn`), created by the service principal the worker and its jobs run as, which so owns it
 * and may create and promote models there. On a real workspace an admin makes the schema and grants
 * the principal USE CATALOG, USE SCHEMA and CREATE MODEL. An existing schema (a resumed state file) is
 * fine.
 */
async function createModelSchema(host: string, token: string): Promise<void> {
  const response = await fetch(`${host}/api/2.1/unity-catalog/schemas`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ catalog_name: 'main', name: 'ml', comment: 'Lakeloop example models' }),
  });
  if (!response.ok && response.status !== 409) {
    throw new Error(`creating the Unity Catalog schema main.ml failed: ${response.status}`);
  }
}

/**
 * Identity at the workflow level, with nothing mocked: a real Temporal dev server and Lakeloop worker,
 * the worker's real token layer (openid-client) and HTTP client, the in-process Databricks emulator's
 * OAuth server, and a real OpenID provider as the company IdP. Every count comes from the emulator's
 * stats or from workflow results and histories, never from timing.
 *
 *  - oauth-m2m and oidc-federation workers each run a databricksRun to SUCCESS as the expected principal;
 *  - a wrong secret, a deactivated service principal and federation policy mismatches fail the workflow
 *    at once with a non-retryable DatabricksAuthError that names the cause, after one attempt;
 *  - 200 concurrent databricksRun workflows cause exactly one token request, and after revoke-all
 *    exactly one more;
 *  - the secrets sweep (last): no secret or token appears in any history, worker log or console line.
 *
 * The one-hour run across many token refreshes is in token-refresh.test.ts (it runs in parallel).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { describeIdentity, type IdentityDescription } from '../../src/activities/describe-identity.js';
import { loadDatabricksSettings, type DatabricksAuthSettings } from '../../src/config/databricks.js';
import { createLakeloopWorker } from '../../src/create-worker.js';
import type { DatabricksHttpClient } from '../../src/databricks/http.js';
import { createWorkspaceClient } from '../../src/databricks/workspace-client.js';
import type { RunInput } from '../../src/shared/run-input.js';
import type { RunResult } from '../../src/shared/run-types.js';
import { databricksRun } from '../../src/workflows/index.js';
import { PAT, getRun, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { startTestIdentityProvider, type TestIdentityProvider } from '../helpers/identity-provider.js';
import {
  connectToTestServer,
  installTestRuntime,
  testActivityDeps,
  testWorkflowBundlePath,
  uniqueTaskQueue,
} from '../helpers/temporal.js';
import {
  LogCapture,
  findLeaks,
  historyHaystacks,
  searchableHistoryText,
  summariseLeaks,
  type Secret,
} from '../helpers/secrets-sweep.js';

const secret = () => `dose${randomBytes(16).toString('hex')}`;
const SP_M2M = 'b7e1c0de-5a5a-4f00-8c1e-1a2b3c4d5e6f';
const SP_FED = 'f3d1e2c3-0000-4abc-9def-0123456789ab';
const SP_OTHER = 'c0ffee00-1234-4321-8888-fedcba987654';
const SP_REVOKED = 'dead0000-beef-4000-8000-00000000a11e';
const SP_WAVE = '0a0a0a0a-2000-4000-8000-000000000200';
const SECRETS: Record<string, string> = {
  [SP_M2M]: secret(),
  [SP_FED]: secret(),
  [SP_OTHER]: secret(),
  [SP_REVOKED]: secret(),
  [SP_WAVE]: secret(),
};
const WRONG_SECRET = secret();
function secretOf(clientId: string): string {
  const value = SECRETS[clientId];
  if (!value) throw new Error(`no secret for ${clientId}`);
  return value;
}
const WAVE = 200;
const POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };
const NO_CONFIG_FILE = path.join(os.tmpdir(), `lakeloop-identity-${randomUUID()}`, 'databrickscfg');

interface EmulatorStats {
  requests: Record<string, number>;
  responses: { byStatus: Record<string, number> };
  runs: { created: number };
  tokens: {
    issued: number;
    issuedByGrant: { client_credentials: number; token_exchange: number };
    rejected: number;
    rejectedByError: Record<string, number>;
  };
}

const stats = (emulator: TestEmulator) => emulator.control<EmulatorStats>('GET', '/stats');
const unauthorized = (s: EmulatorStats) => s.responses.byStatus['401'] ?? 0;
const rejected = (s: EmulatorStats, error: string) => s.tokens.rejectedByError[error] ?? 0;
/** Requests to an endpoint under any API version ("POST /jobs/runs/submit"). */
const requests = (s: EmulatorStats, endpoint: string) =>
  Object.entries(s.requests)
    .filter(([key]) => key.replace(/\/api\/2\.\d/, '') === endpoint)
    .reduce((sum, [, n]) => sum + n, 0);

/** Settings exactly as the worker reads them: environment variables through loadDatabricksSettings. */
function settingsFrom(env: Record<string, string>): DatabricksAuthSettings {
  const problems: string[] = [];
  const settings = loadDatabricksSettings({ DATABRICKS_CONFIG_FILE: NO_CONFIG_FILE, ...env }, problems);
  expect(problems).toEqual([]);
  return settings!;
}

function submitInput(runName: string): RunInput {
  return {
    submit: {
      run_name: runName,
      tasks: [{ task_key: 'main', notebook_task: { notebook_path: `/Workspace/identity/${runName}` } }],
    },
    wait: POLL,
  };
}

describe('Databricks identity in databricksRun workflows', () => {
  const logs = new LogCapture();
  const emulatorTokens: string[] = [];
  /** Every workflow this file starts, for the secrets sweep. */
  const workflowIds: string[] = [];
  let env: TestWorkflowEnvironment;
  let idp: TestIdentityProvider;
  /** M2M and a service-principal federation policy the IdP's tokens satisfy. */
  let main: TestEmulator;
  /** Federation policies the IdP's tokens do not satisfy (audience; subject). */
  let strict: TestEmulator;
  /** A service principal that gets deactivated. */
  let revocable: TestEmulator;
  /** The concurrency waves (revoke-all there touches no other test). */
  let waves: TestEmulator;

  beforeAll(async () => {
    logs.captureConsole();
    // Before connectToTestServer: the first Runtime.install in this file is the one that counts.
    installTestRuntime({ logger: logs.logger, telemetryOptions: logs.telemetryOptions });
    env = await connectToTestServer();
    idp = await startTestIdentityProvider();
    const common = { onTokenIssued: (token: string) => void emulatorTokens.push(token) };
    main = await startTestEmulator({
      ...common,
      servicePrincipals: [
        { applicationId: SP_M2M, secret: secretOf(SP_M2M), displayName: 'Lakeloop worker' },
        { applicationId: SP_FED, secret: secretOf(SP_FED), displayName: 'Lakeloop federated worker' },
      ],
      federationPolicies: [
        { issuer: idp.issuer, audiences: [idp.audience], subject: idp.clientId, client_id: SP_FED },
      ],
    });
    strict = await startTestEmulator({
      ...common,
      servicePrincipals: [
        { applicationId: SP_FED, secret: secretOf(SP_FED) },
        { applicationId: SP_OTHER, secret: secretOf(SP_OTHER) },
      ],
      federationPolicies: [
        // The IdP's tokens are for idp.audience, not this one.
        {
          issuer: idp.issuer,
          audiences: ['https://another-audience.example'],
          subject: idp.clientId,
          client_id: SP_FED,
        },
        // Right audience, another subject.
        { issuer: idp.issuer, audiences: [idp.audience], subject: 'batch-scheduler', client_id: SP_OTHER },
      ],
    });
    revocable = await startTestEmulator({
      ...common,
      servicePrincipals: [{ applicationId: SP_REVOKED, secret: secretOf(SP_REVOKED) }],
    });
    waves = await startTestEmulator({
      ...common,
      servicePrincipals: [{ applicationId: SP_WAVE, secret: secretOf(SP_WAVE) }],
      timeScale: 20,
    });
  });

  afterAll(async () => {
    await Promise.all([main?.close(), strict?.close(), revocable?.close(), waves?.close(), idp?.close()]);
    await env?.teardown();
    logs.restoreConsole();
  });

  const m2m = (emulator: TestEmulator, clientId: string, clientSecret = secretOf(clientId)) =>
    settingsFrom({
      DATABRICKS_HOST: emulator.url,
      DATABRICKS_CLIENT_ID: clientId,
      DATABRICKS_CLIENT_SECRET: clientSecret,
    });
  const federation = (emulator: TestEmulator, clientId: string) =>
    settingsFrom({
      DATABRICKS_HOST: emulator.url,
      DATABRICKS_CLIENT_ID: clientId,
      LAKELOOP_OIDC_ISSUER: idp.issuer,
      LAKELOOP_OIDC_CLIENT_ID: idp.clientId,
      LAKELOOP_OIDC_CLIENT_SECRET: idp.clientSecret,
      LAKELOOP_OIDC_AUDIENCE: idp.audience,
    });

  interface WorkerContext {
    taskQueue: string;
    worker: Worker;
    databricks: DatabricksHttpClient;
  }

  /** A Lakeloop worker whose workspace client authenticates with `auth`, running while `body` runs. */
  async function withWorker<T>(
    auth: DatabricksAuthSettings,
    body: (context: WorkerContext) => Promise<T>,
    overrides: Partial<WorkerOptions> = {},
  ): Promise<T> {
    const taskQueue = uniqueTaskQueue('identity');
    const databricks = createWorkspaceClient(auth, {
      requestsPerSecond: 5_000,
      burst: 5_000,
      timeoutMs: 10_000,
    });
    const worker = await createLakeloopWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      deps: testActivityDeps({ databricks }),
      workflowBundlePath: testWorkflowBundlePath(),
      shutdownGraceSeconds: 1,
      overrides,
    });
    return worker.runUntil(() => body({ taskQueue, worker, databricks }));
  }

  function start(taskQueue: string, runName: string): Promise<WorkflowHandle<typeof databricksRun>> {
    const workflowId = `${runName}-${randomUUID()}`;
    workflowIds.push(workflowId);
    return env.client.workflow.start(databricksRun, { taskQueue, workflowId, args: [submitInput(runName)] });
  }

  /**
   * The workflow's error (undefined if it succeeded). Watches its pending activities meanwhile: an
   * activity on its second attempt means a failure was retried, so the test fails at once with the
   * retried failure rather than waiting out a retry policy that would go on for days.
   */
  async function outcome(handle: WorkflowHandle<typeof databricksRun>): Promise<unknown> {
    const settled = handle.result().then(
      () => ({ error: undefined as unknown }),
      (error: unknown) => ({ error }),
    );
    for (;;) {
      const done = await Promise.race([
        settled,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)),
      ]);
      if (done) return done.error;
      const { raw } = await handle.describe();
      const retried = raw.pendingActivities?.find((activity) => (activity.attempt ?? 1) > 1);
      if (retried) {
        await handle.terminate('the test saw a retry');
        throw new Error(
          `${retried.activityType?.name} was retried (attempt ${retried.attempt}) after: ${retried.lastFailure?.message}`,
        );
      }
    }
  }

  /**
   * The workflow failed because submitRun failed for good: an ActivityFailure whose cause is a
   * non-retryable DatabricksAuthError, and history shows that submitRun was attempted exactly once.
   */
  async function authFailure(handle: WorkflowHandle<typeof databricksRun>): Promise<ApplicationFailure> {
    const error = await outcome(handle);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const activity = (error as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    expect(activity).toMatchObject({
      activityType: 'submitRun',
      retryState: RetryState.NON_RETRYABLE_FAILURE,
    });
    const cause = (activity as ActivityFailure).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'DatabricksAuthError', nonRetryable: true });

    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name)).toEqual([
      'submitRun',
    ]);
    const started = events.filter((e) => e.activityTaskStartedEventAttributes);
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
    return cause as ApplicationFailure;
  }

  describe('a databricksRun as the configured principal', () => {
    async function runAs(
      emulator: TestEmulator,
      auth: DatabricksAuthSettings,
      runName: string,
    ): Promise<{
      result: RunResult;
      identity: IdentityDescription;
      before: EmulatorStats;
      after: EmulatorStats;
    }> {
      await emulator.control('POST', '/scenarios', {
        match: { runName },
        durationMs: 300,
        output: { ran: runName },
      });
      const before = await stats(emulator);
      const { result, identity } = await withWorker(auth, async ({ taskQueue, databricks }) => {
        const result = await (await start(taskQueue, runName)).result();
        // SCIM Me with the worker's own client (and its cached token): who the worker is to Databricks.
        return { result, identity: await describeIdentity(databricks) };
      });
      const after = await stats(emulator);
      expect(result).toMatchObject({ outcome: 'SUCCESS', succeeded: true, waitMode: 'poll', repairs: 0 });
      expect(result.outputs).toEqual([expect.objectContaining({ result: JSON.stringify({ ran: runName }) })]);
      expect(after.runs.created - before.runs.created).toBe(1);
      // Every request the workflow made was accepted: one token, no 401, no rejected token request.
      expect(after.tokens.issued - before.tokens.issued).toBe(1);
      expect(unauthorized(after) - unauthorized(before)).toBe(0);
      expect(after.tokens.rejected - before.tokens.rejected).toBe(0);
      return { result, identity, before, after };
    }

    test('oauth-m2m: the service principal submits exactly one run and is its creator', async () => {
      const { result, identity, before, after } = await runAs(main, m2m(main, SP_M2M), 'identity-m2m');
      expect(
        after.tokens.issuedByGrant.client_credentials - before.tokens.issuedByGrant.client_credentials,
      ).toBe(1);
      expect((await getRun(main, result.runId)).creator_user_name).toBe(SP_M2M);
      expect(identity).toMatchObject({
        authType: 'oauth-m2m',
        scopes: ['all-apis'],
        principal: { applicationId: SP_M2M, userName: SP_M2M, displayName: 'Lakeloop worker' },
      });
    });

    test("oidc-federation: the IdP's client-credentials JWT, exchanged under the service principal's policy", async () => {
      const idpTokensBefore = idp.issuedTokens.length;
      const { result, identity, before, after } = await runAs(
        main,
        federation(main, SP_FED),
        'identity-federation',
      );
      // The IdP really issued the subject token, and the workspace token came from an exchange.
      expect(idp.issuedTokens.length - idpTokensBefore).toBe(1);
      expect(after.tokens.issuedByGrant.token_exchange - before.tokens.issuedByGrant.token_exchange).toBe(1);
      expect(after.tokens.issuedByGrant.client_credentials).toBe(
        before.tokens.issuedByGrant.client_credentials,
      );
      expect((await getRun(main, result.runId)).creator_user_name).toBe(SP_FED);
      expect(identity).toMatchObject({
        authType: 'oidc-federation',
        principal: { applicationId: SP_FED, userName: SP_FED, displayName: 'Lakeloop federated worker' },
      });
    });
  });

  describe('broken identity fails fast, non-retryably, naming the cause', () => {
    test('a wrong service principal secret: invalid_client naming DATABRICKS_CLIENT_SECRET, no run created', async () => {
      const before = await stats(main);
      const failure = await withWorker(m2m(main, SP_M2M, WRONG_SECRET), async ({ taskQueue }) =>
        authFailure(await start(taskQueue, 'identity-wrong-secret')),
      );
      expect(failure.message).toContain('invalid_client');
      expect(failure.message).toContain('DATABRICKS_CLIENT_SECRET');
      expect(failure.message).toContain(SP_M2M);
      expect(failure.details).toEqual([{ authType: 'oauth-m2m', code: 'invalid_client' }]);
      const after = await stats(main);
      expect(after.runs.created - before.runs.created).toBe(0);
      expect(requests(after, 'POST /jobs/runs/submit') - requests(before, 'POST /jobs/runs/submit')).toBe(0);
      // One attempt, one token request: nothing retried the rejected credentials.
      expect(rejected(after, 'invalid_client') - rejected(before, 'invalid_client')).toBe(1);
      expect(after.tokens.issued - before.tokens.issued).toBe(0);
    });

    test('a service principal deactivated after the worker got its token: the forced refresh fails with invalid_client', async () => {
      await revocable.control('POST', '/scenarios', {
        match: { runName: 'identity-before-revoke' },
        durationMs: 200,
      });
      await withWorker(m2m(revocable, SP_REVOKED), async ({ taskQueue, databricks }) => {
        const first = await (await start(taskQueue, 'identity-before-revoke')).result();
        expect(first.outcome).toBe('SUCCESS');
        expect(databricks.tokens.stats()).toEqual({ refreshes: 1, refreshFailures: 0 });

        expect(await revocable.control('POST', `/service-principals/${SP_REVOKED}/revoke`)).toEqual({
          revoked: 1,
        });
        // And expire every token outright, as the forced expiry: the worker must refresh to go on.
        await revocable.control('POST', '/tokens/revoke-all');
        const before = await stats(revocable);
        const failure = await authFailure(await start(taskQueue, 'identity-after-revoke'));
        expect(failure.message).toContain('invalid_client');
        expect(failure.message).toContain('deactivated');
        expect(failure.message).toContain('DATABRICKS_CLIENT_SECRET');
        const after = await stats(revocable);
        expect(after.runs.created - before.runs.created).toBe(0);
        // runs/submit with the revoked token (401), one refresh attempt (invalid_client, 401), no more.
        expect(requests(after, 'POST /jobs/runs/submit') - requests(before, 'POST /jobs/runs/submit')).toBe(
          1,
        );
        expect(rejected(after, 'invalid_client') - rejected(before, 'invalid_client')).toBe(1);
        expect(unauthorized(after) - unauthorized(before)).toBe(2);
        expect(after.tokens.issued).toBe(before.tokens.issued);
        expect(databricks.tokens.stats()).toEqual({ refreshes: 1, refreshFailures: 1 });
      });
    });

    test.each([
      ['audience', SP_FED, /audience \(https:\/\/databricks\.lakeloop\.test\/federation\) is not accepted/],
      ['subject', SP_OTHER, /subject \(sub: lakeloop-worker\) does not match/],
    ])(
      'a federation policy that does not match the JWT (%s): invalid_grant naming the mismatch, no run created',
      async (_kind, clientId, mismatch) => {
        const before = await stats(strict);
        const idpTokensBefore = idp.issuedTokens.length;
        const failure = await withWorker(federation(strict, clientId), async ({ taskQueue }) =>
          authFailure(await start(taskQueue, `identity-policy-mismatch`)),
        );
        expect(failure.message).toContain('invalid_grant');
        expect(failure.message).toMatch(mismatch);
        expect(failure.message).toContain('federation policy');
        expect(failure.details).toEqual([{ authType: 'oidc-federation', code: 'invalid_grant' }]);
        const after = await stats(strict);
        expect(after.runs.created - before.runs.created).toBe(0);
        expect(rejected(after, 'invalid_grant') - rejected(before, 'invalid_grant')).toBe(1);
        expect(idp.issuedTokens.length - idpTokensBefore).toBe(1);
        expect(after.tokens.issued).toBe(before.tokens.issued);
      },
    );
  });

  describe('concurrency', () => {
    /**
     * Starts WAVE workflows and waits for them. While the token endpoint holds the one token request
     * (a latency fault), samples how many activities the worker has in flight: all of them are waiting
     * for that token, since no request can succeed without it.
     */
    async function wave(
      context: WorkerContext,
      runName: string,
      tokenIssued: () => Promise<boolean>,
    ): Promise<{ results: RunResult[]; waitingForToken: number }> {
      let waitingForToken = 0;
      let startsDone = false;
      const sampling = (async () => {
        for (;;) {
          const inFlight = context.worker.getStatus().numInFlightActivities;
          if (await tokenIssued()) return;
          waitingForToken = Math.max(waitingForToken, inFlight);
          if (startsDone && inFlight === WAVE) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const handles = await Promise.all(
        Array.from({ length: WAVE }, () => start(context.taskQueue, runName)),
      );
      startsDone = true;
      const results = await Promise.all(handles.map((handle) => handle.result()));
      await sampling;
      return { results, waitingForToken };
    }

    test(`${WAVE} concurrent databricksRun workflows: one token; after revoke-all, exactly one more`, async () => {
      await waves.control('POST', '/scenarios', { match: { runName: 'identity-wave' }, durationMs: 200 });
      // Holds the next token request long enough for the wave's activities to pile up behind it.
      const holdTokenRequest = () =>
        waves.control('POST', '/faults', {
          method: 'POST',
          path: '/oidc/v1/token',
          latencyMs: 2_000,
          count: 1,
        });
      await withWorker(
        m2m(waves, SP_WAVE),
        async (context) => {
          // Wave 1: a fresh provider, no token yet.
          await holdTokenRequest();
          const before = await stats(waves);
          const first = await wave(
            context,
            'identity-wave',
            async () => (await stats(waves)).tokens.issued > before.tokens.issued,
          );
          const afterFirst = await stats(waves);
          expect(first.results.every((r) => r.outcome === 'SUCCESS')).toBe(true);
          expect(afterFirst.runs.created - before.runs.created).toBe(WAVE);
          expect(afterFirst.tokens.issued - before.tokens.issued).toBe(1);
          expect(requests(afterFirst, 'POST /oidc/v1/token') - requests(before, 'POST /oidc/v1/token')).toBe(
            1,
          );
          expect(unauthorized(afterFirst) - unauthorized(before)).toBe(0);
          expect(first.waitingForToken).toBeGreaterThan(1);

          // Wave 2: every token revoked; each activity's first request gets a 401 and they share one refresh.
          expect((await waves.control<{ revoked: number }>('POST', '/tokens/revoke-all')).revoked).toBe(1);
          await holdTokenRequest();
          const second = await wave(
            context,
            'identity-wave',
            async () => (await stats(waves)).tokens.issued > afterFirst.tokens.issued,
          );
          const afterSecond = await stats(waves);
          expect(second.results.every((r) => r.outcome === 'SUCCESS')).toBe(true);
          expect(afterSecond.runs.created - afterFirst.runs.created).toBe(WAVE);
          expect(afterSecond.tokens.issued - afterFirst.tokens.issued).toBe(1);
          expect(
            requests(afterSecond, 'POST /oidc/v1/token') - requests(afterFirst, 'POST /oidc/v1/token'),
          ).toBe(1);
          const revokedRequests = unauthorized(afterSecond) - unauthorized(afterFirst);
          expect(revokedRequests).toBeGreaterThanOrEqual(1);
          expect(revokedRequests).toBeLessThanOrEqual(WAVE);
          expect(context.databricks.tokens.stats()).toEqual({ refreshes: 2, refreshFailures: 0 });
          process.stdout.write(
            `identity waves: token deltas ${afterFirst.tokens.issued - before.tokens.issued}, ${afterSecond.tokens.issued - afterFirst.tokens.issued}; ` +
              `activities waiting for the token ${first.waitingForToken}, ${second.waitingForToken}; 401s in wave 2: ${revokedRequests}\n`,
          );
        },
        { maxConcurrentActivityTaskExecutions: WAVE + 50 },
      );
    }, 120_000);
  });

  // Declared last: it runs after every workflow above has finished and every worker has shut down.
  describe('secrets', () => {
    test('secrets sweep: no secret or token in any workflow history, worker log or console line', async () => {
      // Self-check first: the sweep finds a secret planted inside a base64 payload, in a failure
      // message, inside an Error in a log line's metadata, and in an object logged to the console.
      const planted = secret();
      const b64 = (text: string) => Buffer.from(text).toString('base64');
      const synthetic = JSON.stringify({
        events: [
          {
            eventId: '1',
            workflowExecutionStartedEventAttributes: {
              input: {
                payloads: [
                  { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify({ planted })) },
                ],
              },
            },
          },
        ],
      });
      expect(synthetic).not.toContain(planted);
      const plantedSecret = [{ label: 'planted', value: planted }];
      expect(
        findLeaks([{ where: 'synthetic', text: searchableHistoryText(synthetic) }], plantedSecret),
      ).toEqual([{ where: 'synthetic', label: 'planted' }]);
      const failureHistory = JSON.stringify({
        events: [{ activityTaskFailedEventAttributes: { failure: { message: `x ${planted}` } } }],
      });
      expect(
        findLeaks([{ where: 'failure', text: searchableHistoryText(failureHistory) }], plantedSecret),
      ).toHaveLength(1);
      const probe = new LogCapture();
      probe.logger.warn('Activity failed', { error: new Error(`rejected ${planted}`) });
      probe.captureConsole();
      try {
        console.log('debug', { token: planted });
      } finally {
        probe.restoreConsole();
      }
      expect(findLeaks(probe.haystacks(), plantedSecret).map((leak) => leak.where)).toEqual([
        'runtime log line 1',
        'console line 1',
      ]);

      const secrets: Secret[] = [
        ...Object.entries(SECRETS).map(([id, value]) => ({ label: `secret of ${id}`, value })),
        { label: 'the wrong secret', value: WRONG_SECRET },
        { label: 'the PAT', value: PAT },
        { label: 'the IdP client secret', value: idp.clientSecret },
        ...idp.issuedTokens.map((value, i) => ({ label: `IdP token #${i + 1}`, value })),
        ...emulatorTokens.map((value, i) => ({ label: `emulator token #${i + 1}`, value })),
      ];
      const histories = await historyHaystacks(env.client, workflowIds);
      const logHaystacks = logs.haystacks();

      // Not vacuous: many workflows and tokens, and the haystacks hold what they should. Run names
      // are only in base64 payloads, so finding them proves payloads are decoded; the auth failures
      // are in history and in the worker's logs.
      expect(workflowIds.length).toBeGreaterThanOrEqual(2 * WAVE + 6);
      expect(emulatorTokens.length).toBeGreaterThanOrEqual(5);
      expect(idp.issuedTokens.length).toBeGreaterThanOrEqual(3);
      expect(histories.filter((h) => h.text.includes('identity-wave'))).toHaveLength(2 * WAVE);
      expect(histories.some((h) => h.text.includes('DatabricksAuthError'))).toBe(true);
      expect(logs.runtimeLines.some((line) => line.includes('DatabricksAuthError'))).toBe(true);

      expect(summariseLeaks(findLeaks([...histories, ...logHaystacks], secrets))).toEqual([]);
      process.stdout.write(
        `identity sweep: ${histories.length} histories, ${logs.runtimeLines.length} runtime log lines, ` +
          `${logs.consoleLines.length} console lines, ${secrets.length} secrets\n`,
      );
    }, 60_000);
  });
});

/**
 * Chaos: many databricksRun workflows (mixed durations, outcomes and wait modes) on a stack that is
 * being knocked over while they run — the worker SIGKILLed and restarted at seeded moments, the
 * Temporal dev server restarted on its SQLite file, 429 bursts, 5xx, latency and lost responses from
 * the workspace, a fifth of the webhooks dropped and a fifth duplicated, and OAuth tokens that expire
 * every few seconds. Then: every workflow reached the terminal result its input dictates, the
 * emulator created exactly the Databricks runs the inputs call for (per workflow and in total: no
 * duplicate submission), and nothing is stuck. A table of the faults and outcomes is printed.
 *
 * `npm test` runs the short form (40 workflows); `npm run test:chaos` the full one (200).
 * CHAOS_SEED=<n> replays a plan; CHAOS_WORKFLOWS=<n> changes the workload size.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { RunResult } from '../../src/shared/run-types.js';
import type { databricksRun } from '../../src/workflows/databricks-run.js';
import {
  burst429,
  planEvents,
  planStandingFaults,
  planWorkload,
  PROFILES,
  TIME_SCALE,
  TOKEN_TTL_SECONDS,
  type ChaosEvent,
  type PlannedFault,
} from '../helpers/chaos-plan.js';
import {
  describeMismatch,
  percentile,
  persistently,
  sleep,
  table,
  unroutedNotifications,
  webhookWaitEndings,
  workflowLifetimes,
  type Actual,
} from '../helpers/chaos-report.js';
import { startChaosStack, type ChaosStack } from '../helpers/chaos-stack.js';

const baseProfile = PROFILES[process.env.CHAOS_PROFILE === 'full' ? 'full' : 'ci'];
const profile = {
  ...baseProfile,
  workflows: Number(process.env.CHAOS_WORKFLOWS ?? baseProfile.workflows),
};
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const taskQueue = `chaos-${seed}`;

interface EmulatorStats {
  requests: Record<string, number>;
  responses: { byStatus: Record<string, number> };
  runs: { created: number; active: number; byResultState: Record<string, number> };
  tokens: { issued: number; issuedByGrant: { client_credentials: number }; rejected: number };
  webhooks: { sent: number; failed: number; dropped: number; duplicated: number; retried: number };
}

interface FaultList {
  http: Array<{ id: string; fired: number }>;
  webhook: Array<{ id: string; fired: number }>;
}

describe(`chaos (${profile.name}: ${profile.workflows} workflows, seed ${seed})`, () => {
  let stack: ChaosStack;
  let passed = false;

  beforeAll(async () => {
    console.log(`chaos seed ${seed} (replay with CHAOS_SEED=${seed}), profile ${profile.name}`);
    stack = await startChaosStack({
      taskQueue,
      seed,
      timeScale: TIME_SCALE,
      tokenTtlSeconds: TOKEN_TTL_SECONDS,
    });
    await stack.startWorker();
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    if (!stack) return;
    // Keep the logs and the SQLite database of a failed run (or with CHAOS_KEEP=1) for a post-mortem.
    if (passed && !process.env.CHAOS_KEEP) rmSync(stack.dir, { recursive: true, force: true });
    else
      console.log(
        `chaos logs and database kept in ${stack.dir}: ${Object.values(stack.logFiles).join(', ')}`,
      );
  }, 60_000);

  test(
    'every workflow reaches its expected result, with exactly the Databricks runs its input calls for',
    async () => {
      const { client, emulator } = stack;
      const cases = planWorkload(seed, profile, `chaos-${seed}`);
      const events = planEvents(seed, profile);
      const byId = new Map(cases.map((c) => [c.workflowId, c]));

      for (const c of cases) for (const rule of c.rules) await emulator.control('POST', '/scenarios', rule);
      const injected: Array<PlannedFault & { id: string }> = [];
      const inject = async (planned: PlannedFault[]) => {
        for (const p of planned) {
          const { id } = await emulator.control<{ id: string }>('POST', '/faults', p.fault);
          injected.push({ ...p, id });
        }
      };
      await inject(planStandingFaults(profile));

      const chaos = {
        kills: 0,
        selfExits: [] as Array<{ atMs: number; detail: string }>,
        restarts: [] as Array<{ hard: boolean; downMs: number; endedAtMs: number; signalledBefore: number }>,
        tokenRevocations: 0,
        tokensRevoked: 0,
        bursts: 0,
        workerDownMs: 0,
        startRetries: 0,
      };
      const started = Date.now();
      const at = (offsetMs: number) => sleep(Math.max(0, started + offsetMs - Date.now()));

      // The worker must be running except while the chaos loop has it down on purpose. If it dies on
      // its own (e.g. when the server goes away) that is recorded and it is started again.
      let supervising = true;
      let deliberatelyDown = false;
      let starting: Promise<unknown> | undefined;
      const ensureWorker = async () => {
        const current = stack.worker();
        if (current && current.child.exitCode === null && current.child.signalCode === null) return;
        if (current) {
          chaos.selfExits.push({
            atMs: Date.now() - started,
            detail: `exit ${current.child.exitCode ?? current.child.signalCode}: ${current.recentOutput().slice(-3).join(' | ')}`,
          });
        }
        starting ??= persistently('restarting the worker', () => stack.startWorker()).finally(() => {
          starting = undefined;
        });
        await starting;
      };
      const supervisor = (async () => {
        while (supervising) {
          if (!deliberatelyDown) await ensureWorker();
          await sleep(500);
        }
      })();

      const execute = async (event: ChaosEvent) => {
        switch (event.type) {
          case 'kill-worker': {
            // Not while the supervisor is starting one: that worker would outlive the kill.
            while (starting) await starting;
            deliberatelyDown = true;
            const downSince = Date.now();
            await stack.killWorker();
            chaos.kills++;
            await sleep(event.downMs);
            await persistently('restarting the worker', () => stack.startWorker());
            deliberatelyDown = false;
            chaos.workerDownMs += Date.now() - downSince;
            return;
          }
          case 'restart-server': {
            const downSince = Date.now();
            const signalledBefore = stack.receiver.stats().signalled;
            await stack.restartTemporal({ kill: event.hard });
            chaos.restarts.push({
              hard: event.hard,
              downMs: Date.now() - downSince,
              endedAtMs: Date.now() - started,
              signalledBefore,
            });
            return;
          }
          case 'revoke-tokens':
            // Every token the worker holds answers 401 from now on: it must drop it and get a new one.
            chaos.tokensRevoked += (
              await emulator.control<{ revoked: number }>('POST', '/tokens/revoke-all')
            ).revoked;
            chaos.tokenRevocations++;
            return;
          case 'burst-429':
            chaos.bursts++;
            await inject(burst429(profile.workflows));
            return;
        }
      };
      const chaosLoop = (async () => {
        for (const event of events) {
          await at(event.atMs);
          await execute(event);
        }
      })();

      const starts = cases.map(async (c) => {
        await at(c.startAtMs);
        await persistently(`starting ${c.workflowId}`, async () => {
          try {
            await client.workflow.start<typeof databricksRun>('databricksRun', {
              taskQueue,
              workflowId: c.workflowId,
              args: [c.input],
              // A retried start after a lost answer must not start a second execution.
              workflowIdReusePolicy: 'REJECT_DUPLICATE',
            });
          } catch (err) {
            if (err instanceof WorkflowExecutionAlreadyStartedError) return;
            chaos.startRetries++;
            throw err;
          }
        });
      });
      await Promise.all(starts);
      await chaosLoop;
      const chaosEnded = Date.now();

      // Settle: wait until nothing runs any more, or the deadline says the rest is stuck.
      const runningQuery = `WorkflowType = 'databricksRun' AND ExecutionStatus = 'Running'`;
      const listRunning = () =>
        persistently('listing running workflows', async () => {
          const ids: string[] = [];
          for await (const execution of client.workflow.list({ query: runningQuery }))
            ids.push(execution.workflowId);
          return ids;
        });
      let running = await listRunning();
      while (running.length > 0 && Date.now() < chaosEnded + profile.settleTimeoutMs) {
        await sleep(2_000);
        running = await listRunning();
      }
      const settledMs = Date.now() - started;
      supervising = false;
      await supervisor;

      // Results.
      const actuals = new Map<string, Actual>();
      for (const id of running) {
        const description = await client.workflow.getHandle(id).describe();
        const pending = (description.raw.pendingActivities ?? [])
          .map((a) => `${a.activityType?.name} attempt ${a.attempt} ${a.lastFailure?.message ?? ''}`)
          .join(', ');
        actuals.set(id, { state: 'stuck', detail: `pending: ${pending || 'no activity'}` });
      }
      for (const c of cases) {
        if (actuals.has(c.workflowId)) continue;
        try {
          const result = await persistently('fetching a result', async () => {
            try {
              return await client.workflow.getHandle<typeof databricksRun>(c.workflowId).result();
            } catch (err) {
              if (err instanceof WorkflowFailedError) return err;
              throw err;
            }
          });
          if (result instanceof WorkflowFailedError) throw result;
          actuals.set(c.workflowId, { state: 'completed', result });
        } catch (err) {
          const cause = (err as WorkflowFailedError).cause;
          const runFailed = cause instanceof ApplicationFailure && cause.type === 'DatabricksRunFailed';
          actuals.set(c.workflowId, {
            state: 'failed',
            result: runFailed ? (cause.details?.[0] as RunResult) : undefined,
            error: String(cause ?? err),
          });
        }
      }

      const lifetimes = await workflowLifetimes(stack);
      const routing = unroutedNotifications(stack, cases, actuals, lifetimes, started);
      const endings = await webhookWaitEndings(
        client,
        cases.filter((c) => c.mode === 'webhook').map((c) => c.workflowId),
      );
      const took = cases
        .map((c) => {
          const life = lifetimes.get(c.workflowId);
          return { c, ms: life?.closedMs !== undefined ? life.closedMs - life.startedMs : Infinity };
        })
        .sort((a, b) => a.ms - b.ms);
      const tookMs = took.map((t) => t.ms);
      const seconds = (ms: number) => (ms / 1000).toFixed(1);

      // Databricks' side: runs created, in total and per workflow (the run name is the workflow id).
      const stats = await emulator.control<EmulatorStats>('GET', '/stats');
      const faultList = await emulator.control<FaultList>('GET', '/faults');
      const stillListed = new Map([...faultList.http, ...faultList.webhook].map((f) => [f.id, f.fired]));
      const firedBy = new Map<string, number>();
      for (const f of injected) {
        // A counted fault that ran out is removed from the list: it fired exactly `count` times.
        const fired = stillListed.get(f.id) ?? f.fault.count ?? 0;
        firedBy.set(f.label, (firedBy.get(f.label) ?? 0) + fired);
      }
      // The faults are counted; the listing below must not meet them.
      await emulator.control('DELETE', '/faults');
      const createdByWorkflow = new Map<string, number>();
      for (let pageToken: string | undefined, first = true; first || pageToken; first = false) {
        const page = await emulator.api<{ runs?: Array<{ run_name?: string }>; next_page_token?: string }>(
          'GET',
          `/api/2.1/jobs/runs/list?limit=25${pageToken ? `&page_token=${pageToken}` : ''}`,
        );
        for (const run of page.runs ?? []) {
          const name = run.run_name ?? '(none)';
          createdByWorkflow.set(name, (createdByWorkflow.get(name) ?? 0) + 1);
        }
        pageToken = page.next_page_token;
      }

      // Verdicts.
      const mismatches: string[] = [];
      const outcomes = { succeeded: 0, failedAsExpected: 0, unexpected: 0, stuck: 0 };
      const byKind = new Map<string, { n: number; ok: number }>();
      for (const c of cases) {
        const actual = actuals.get(c.workflowId)!;
        const problem = describeMismatch(c, actual);
        const kind = byKind.get(`${c.kind} / ${c.mode}`) ?? { n: 0, ok: 0 };
        kind.n++;
        byKind.set(`${c.kind} / ${c.mode}`, kind);
        if (actual.state === 'stuck') outcomes.stuck++;
        else if (problem) outcomes.unexpected++;
        else if (actual.state === 'completed') outcomes.succeeded++;
        else outcomes.failedAsExpected++;
        if (!problem) kind.ok++;
        const created = createdByWorkflow.get(c.workflowId) ?? 0;
        if (problem || created !== c.expected.runsCreated) {
          mismatches.push(
            `${c.workflowId} (${c.mode}, ${c.taskDurationMs / 1000} s): ${problem ?? 'result as expected'}; ` +
              `Databricks runs created ${created}, expected ${c.expected.runsCreated}`,
          );
        }
      }
      const strangers = [...createdByWorkflow.keys()].filter((name) => !byId.has(name));
      const expectedRuns = cases.reduce((sum, c) => sum + c.expected.runsCreated, 0);
      const s = (status: string) => stats.responses.byStatus[status] ?? 0;

      console.log(
        [
          table(`chaos ${profile.name}, seed ${seed}: faults injected`, [
            [
              'worker SIGKILLs (then restarted)',
              `${chaos.kills} (down ${(chaos.workerDownMs / 1000).toFixed(1)} s in all)`,
            ],
            ['worker exits on its own (restarted)', chaos.selfExits.length],
            [
              'Temporal dev server restarts (same SQLite file)',
              `${chaos.restarts.length}: ${chaos.restarts.map((r) => `${r.hard ? 'SIGKILL' : 'SIGTERM'} ${(r.downMs / 1000).toFixed(1)} s`).join(', ')}`,
            ],
            ...chaos.restarts.map((r, i): [string, string] => [
              `  after restart ${i + 1}`,
              `worker ${chaos.selfExits.some((e) => e.atMs >= r.endedAtMs - r.downMs && e.atMs <= r.endedAtMs + 15_000) ? 'exited (restarted by the test)' : 'kept running and reconnected'}; ` +
                `receiver signalled ${(chaos.restarts[i + 1]?.signalledBefore ?? stack.receiver.stats().signalled) - r.signalledBefore} workflows until the next restart/end`,
            ]),
            [
              'OAuth token revocations (all at once)',
              `${chaos.tokenRevocations} (${chaos.tokensRevoked} live tokens)`,
            ],
            ['workflow starts retried', chaos.startRetries],
            ['429 bursts', chaos.bursts],
            ...[...firedBy].map(([label, n]): [string, number] => [`  ${label}`, n]),
            ['answers 429 / 500 / 502 / 503', `${s('429')} / ${s('500')} / ${s('502')} / ${s('503')}`],
            ['answers 401 (expired or revoked token)', s('401')],
            [
              `OAuth tokens issued (ttl ${TOKEN_TTL_SECONDS} s)`,
              `${stats.tokens.issuedByGrant.client_credentials} (${stats.tokens.rejected} token requests refused)`,
            ],
            [
              'webhooks sent / dropped / duplicated / failed',
              `${stats.webhooks.sent} / ${stats.webhooks.dropped} / ${stats.webhooks.duplicated} / ${stats.webhooks.failed}`,
            ],
            [
              'receiver: signalled / unknown run / errors',
              `${stack.receiver.stats().signalled} / ${stack.receiver.stats()['unknown-run']} / ${stack.receiver.stats().error}`,
            ],
            [
              '  unknown run: after its workflow closed / run superseded / workflow open',
              `${routing.afterClose} / ${routing.superseded} / ${routing.whileWaiting.length}`,
            ],
            [
              'receiver catch-ups (after it could not forward): runs signalled',
              stack
                .catchUps()
                .map((c) => `${c.signalled}${c.gap.downSince ? '' : ' (gap of unknown start)'}`)
                .join(', ') || 'none',
            ],
            [
              'webhook waits ended by: notification / immediate look / safety net',
              `${endings.notification} / ${endings.immediateLook} / ${endings.safetyNet}`,
            ],
          ]),
          table('outcomes', [
            ['workflows', cases.length],
            ['succeeded as expected', outcomes.succeeded],
            ['failed as expected', outcomes.failedAsExpected],
            ['unexpected', outcomes.unexpected],
            ['stuck', outcomes.stuck],
            ['Databricks runs created / expected', `${stats.runs.created} / ${expectedRuns}`],
            [
              'wall time (s): all closed / chaos ended',
              `${(settledMs / 1000).toFixed(0)} / ${((chaosEnded - started) / 1000).toFixed(0)}`,
            ],
            [
              'workflow start→close (s): p50 / p95 / max',
              `${seconds(percentile(tookMs, 50))} / ${seconds(percentile(tookMs, 95))} / ${seconds(tookMs[tookMs.length - 1] ?? 0)}`,
            ],
            [
              'slowest',
              took
                .slice(-3)
                .reverse()
                .map((t) => `${t.c.kind}/${t.c.mode} ${t.c.taskDurationMs / 1000} s → ${seconds(t.ms)} s`)
                .join('; '),
            ],
          ]),
          table(
            'by kind / wait mode (as expected of all)',
            [...byKind].sort().map(([label, k]): [string, string] => [label, `${k.ok}/${k.n}`]),
          ),
          ...(chaos.selfExits.length > 0
            ? [
                `worker exits on its own:\n  ${chaos.selfExits.map((e) => `${(e.atMs / 1000).toFixed(0)} s: ${e.detail}`).join('\n  ')}`,
              ]
            : []),
          ...(routing.whileWaiting.length > 0 && mismatches.length > 0
            ? [
                `notifications not routed while their workflow was open:\n  ${routing.whileWaiting.slice(0, 20).join('\n  ')}`,
              ]
            : []),
          ...(mismatches.length > 0 ? [`mismatches:\n  ${mismatches.slice(0, 30).join('\n  ')}`] : []),
        ].join('\n\n'),
      );

      expect(mismatches).toEqual([]);
      expect(strangers).toEqual([]);
      expect(stats.runs.created).toBe(expectedRuns);
      expect(stats.runs.active).toBe(0);
      expect(chaos.kills).toBe(profile.workerKills);
      expect(chaos.restarts.length).toBe(profile.serverRestarts);
      passed = true;
    },
    profile.chaosWindowMs + profile.settleTimeoutMs + 180_000,
  );
});

/**
 * The control API under /__emulator/ for tests, benchmarks and demos. It needs no token (it is not
 * part of the Databricks surface) and is neither counted in stats nor subject to faults.
 */
import { z } from 'zod';
import type { TokenRegistry } from '../auth/token-registry.js';
import { ApiError } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import { int64, parseWith } from '../http/validation.js';
import type { WebhookDispatcher } from '../notifications/webhook-dispatcher.js';
import { isTerminal } from '../runs/run-model.js';
import { importRuns, runImportSchema } from '../runs/run-import.js';
import type { Services } from '../services.js';
import { scenarioRuleSchema } from '../tasks/scenario-rules.js';
import type { FaultRegistry } from './fault-registry.js';
import { httpFaultSchema, webhookFaultSchema } from './fault-registry.js';
import type { Stats } from './stats.js';

export interface ControlDeps {
  services: Services;
  faults: FaultRegistry;
  stats: Stats;
  tokens: TokenRegistry;
  dispatcher: WebhookDispatcher;
  /** Forget all workspace state, faults, stats and issued tokens; stop running task processes. */
  reset: () => void;
}

export function registerControlRoutes(router: Router, deps: ControlDeps): void {
  const { services, faults, stats, tokens, dispatcher } = deps;
  const { workspace } = services;

  router.route('GET', '/__emulator/health', () => ok({ status: 'ok' }));

  router.route('GET', '/__emulator/stats', () => ok(stats.snapshot(workspace.runs, tokens)));

  router.route('POST', '/__emulator/faults', (ctx) => {
    const fault =
      'webhook' in ctx.body
        ? faults.addWebhook(parseWith(webhookFaultSchema, ctx.body))
        : faults.addHttp(parseWith(httpFaultSchema, ctx.body));
    return ok({ id: fault.id });
  });
  router.route('GET', '/__emulator/faults', () => ok(faults.list()));
  router.route('DELETE', '/__emulator/faults', () => {
    faults.clear();
    return ok({});
  });

  router.route('POST', '/__emulator/scenarios', (ctx) => {
    const rule = workspace.scenarios.add(parseWith(scenarioRuleSchema, ctx.body));
    services.changed();
    return ok({ id: rule.id });
  });
  router.route('GET', '/__emulator/scenarios', () => ok({ rules: workspace.scenarios.list() }));
  router.route('DELETE', '/__emulator/scenarios', () => {
    workspace.scenarios.clear();
    services.changed();
    return ok({});
  });

  router.route('POST', '/__emulator/reset', () => {
    deps.reset();
    return ok({});
  });

  router.route('GET', '/__emulator/webhooks', () => ok({ deliveries: dispatcher.recentDeliveries() }));

  /** Finished past runs of a job or run name, as a workspace with history has them (runs/run-import.ts). */
  router.route('POST', '/__emulator/runs/import', (ctx) => {
    const runIds = importRuns(workspace, services.clock.now(), parseWith(runImportSchema, ctx.body));
    services.changed();
    // One object per run so the int64-ids dialect translates each `run_id` by its key, as elsewhere.
    return ok({ runs: runIds.map((runId) => ({ run_id: runId })) });
  });

  /** Wall-clock creation and end times of a run and its tasks, for detection-latency benchmarks. */
  router.route('GET', '/__emulator/runs/{id}', (ctx) => {
    const runId = parseWith(z.object({ id: int64 }), ctx.params).id;
    const run = workspace.runs.get(runId);
    if (!run) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run ${runId} does not exist.`);
    return ok({
      run_id: run.runId,
      job_id: run.jobId,
      life_cycle_state: run.phase,
      result_state: run.outcome?.result,
      terminal: isTerminal(run.phase),
      created_at_ms: run.actualCreatedMs,
      ended_at_ms: run.actualEndMs,
      emulated_end_time: run.endTime,
      // The run-level timeout_seconds it was submitted with (0: none): tests check what clients sent.
      timeout_seconds: run.timeoutSeconds,
      tasks: run.tasks.map((task) => ({
        task_key: task.taskKey,
        run_id: task.runId,
        attempt_number: task.attempt,
        executor: task.executor,
        life_cycle_state: task.phase,
        result_state: task.outcome?.result,
        started_at_ms: task.actualStartMs,
        ended_at_ms: task.actualEndMs,
      })),
    });
  });
}

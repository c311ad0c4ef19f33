/**
 * The `no-notifications` dialect's refusal: on a workspace without notification destinations, a job or
 * one-time run whose `webhook_notifications` (job-level or a task's) names a destination is refused
 * as Databricks refuses a destination that does not exist. The message is Databricks' own, "Webhook
 * with id '<id>' was not found." (terraform-provider-databricks#1989: "cannot update job: Webhook with
 * id '' was not found."; the same text when a deleted destination is added in the UI). Its status and
 * error_code are not shown anywhere we could find [U]: we answer 400 INVALID_PARAMETER_VALUE, what
 * the Jobs API answers for the other missing things a request names ("Job 998654886170278 does not
 * exist.", terraform-provider-databricks#2225, shared/reference/databricks-api.md §2).
 */
import { invalidParameter } from './api-error.js';

/** Where each refusing endpoint carries job settings: the body itself, or `new_settings`. */
const SETTINGS_OF: Record<string, (body: Record<string, unknown>) => unknown> = {
  '/jobs/runs/submit': (body) => body,
  '/jobs/create': (body) => body,
  '/jobs/reset': (body) => body.new_settings,
  '/jobs/update': (body) => body.new_settings,
};

/** Throws Databricks' refusal if the request names a notification destination. */
export function refuseDestinations(endpoint: string, body: Record<string, unknown>): void {
  const settings = SETTINGS_OF[endpoint]?.(body);
  if (!isRecord(settings)) return;
  const tasks = Array.isArray(settings.tasks) ? settings.tasks.filter(isRecord) : [];
  for (const holder of [settings, ...tasks]) {
    const id = firstDestination(holder.webhook_notifications);
    if (id !== undefined) throw invalidParameter(`Webhook with id '${id}' was not found.`);
  }
}

/** The first `{id}` of any event list (on_start, on_success, on_failure, on_duration_warning_…). */
function firstDestination(notifications: unknown): string | undefined {
  if (!isRecord(notifications)) return undefined;
  for (const refs of Object.values(notifications)) {
    if (!Array.isArray(refs)) continue;
    for (const ref of refs)
      if (isRecord(ref) && ref.id !== undefined && ref.id !== null) return String(ref.id);
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

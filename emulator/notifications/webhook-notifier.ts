/**
 * Turns run life-cycle events into webhook deliveries: jobs.on_start when a run starts (also when a
 * repair restarts it [U]), jobs.on_success for SUCCESS and SUCCESS_WITH_FAILURES, jobs.on_failure for
 * every other result — except canceled or skipped runs when notification_settings says no alert.
 * Job-level destinations come from the job's (or the submit request's) webhook_notifications;
 * task-level ones from each task's own, with the task payload.
 */
import type { JobStore } from '../jobs/job-store.js';
import type { NotificationSettings, WebhookNotifications } from '../jobs/job-settings-schema.js';
import type { RunEvents } from '../runs/run-engine.js';
import type { Outcome, RunRecord, TaskRun } from '../runs/run-model.js';
import type { DestinationStore } from './destination-store.js';
import type { WebhookDispatcher } from './webhook-dispatcher.js';
import type { JobEventType, PayloadIds } from './webhook-payloads.js';
import { jobEventPayload } from './webhook-payloads.js';

export class WebhookNotifier implements RunEvents {
  constructor(
    private readonly destinations: DestinationStore,
    private readonly jobs: JobStore,
    private readonly dispatcher: WebhookDispatcher,
    private readonly settings: {
      workspaceId: string;
      idFormat: 'string' | 'number';
      /** The id clients see for an internal one (the `int64-ids` dialect adds 2^62). */
      externalId: (id: number) => number | bigint;
    },
  ) {}

  runStarted(run: RunRecord): void {
    this.send(run.webhooks, 'jobs.on_start', this.ids(run));
  }

  runFinished(run: RunRecord): void {
    const event = finishEvent(run.outcome, run.notificationSettings);
    if (event) this.send(run.webhooks, event, this.ids(run));
  }

  taskStarted(run: RunRecord, task: TaskRun): void {
    this.send(task.spec.webhook_notifications, 'jobs.on_start', this.ids(run, task));
  }

  taskFinished(run: RunRecord, task: TaskRun): void {
    const event = finishEvent(task.outcome, task.spec.notification_settings);
    if (event) this.send(task.spec.webhook_notifications, event, this.ids(run, task));
  }

  private ids(run: RunRecord, task?: TaskRun): PayloadIds {
    const external = this.settings.externalId;
    return {
      workspaceId: this.settings.workspaceId,
      jobId: external(run.jobId),
      jobName: this.jobs.get(run.jobId)?.settings.name ?? run.runName,
      runId: external(run.runId),
      ...(task ? { task: { taskKey: task.taskKey, taskRunId: external(task.runId) } } : {}),
    };
  }

  private send(config: WebhookNotifications | undefined, event: JobEventType, ids: PayloadIds): void {
    const field =
      event === 'jobs.on_start' ? 'on_start' : event === 'jobs.on_success' ? 'on_success' : 'on_failure';
    const refs = config?.[field] ?? [];
    if (refs.length === 0) return;
    const payload = jobEventPayload(event, ids, this.settings.idFormat) as { event_type: string };
    for (const ref of refs) {
      const destination = this.destinations.get(ref.id);
      // Only generic webhooks are delivered; Slack, Teams, PagerDuty and e-mail have no local receiver.
      if (!destination || destination.kind !== 'generic_webhook') continue;
      const { url, username, password } = destination.config as {
        url?: string;
        username?: string;
        password?: string;
      };
      if (!url) continue;
      this.dispatcher.deliver(
        {
          destinationId: destination.id,
          url,
          ...(username !== undefined ? { username } : {}),
          ...(password !== undefined ? { password } : {}),
        },
        payload,
      );
    }
  }
}

function finishEvent(
  end: Outcome | undefined,
  settings: NotificationSettings | undefined,
): JobEventType | undefined {
  if (!end) return undefined;
  if (end.result === 'SUCCESS' || end.result === 'SUCCESS_WITH_FAILURES') return 'jobs.on_success';
  if (end.result === 'CANCELED' && settings?.no_alert_for_canceled_runs) return undefined;
  if (end.lifeCycle === 'SKIPPED' && settings?.no_alert_for_skipped_runs) return undefined;
  // Tasks skipped by run_if are not failures of their own.
  if (end.code === 'SKIPPED') return undefined;
  return 'jobs.on_failure';
}

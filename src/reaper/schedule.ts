/**
 * The orphan reaper's Temporal Schedule: installed (or brought up to date) by every worker at start,
 * so a sweep runs every LAKELOOP_REAPER_INTERVAL on the worker's task queue, visible and pausable in
 * the Temporal UI (Schedules). Idempotent: workers starting together all end with the same Schedule.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import { REAPER_WORKFLOW_TYPE, reaperScheduleId, type ReaperInput } from '../shared/reaper.js';

export interface ReaperScheduleOptions {
  taskQueue: string;
  /** Milliseconds between sweeps, or "off": the worker removes the Schedule. */
  interval: number | 'off';
}

export type ReaperScheduleChange = 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent';

const NOTE =
  'Cancels Databricks runs whose databricksRun workflow closed without cancelling them (terminated, ' +
  'timed out). Installed by the lakeloop worker; LAKELOOP_REAPER_INTERVAL sets the period, "off" removes it.';
/** One sweep is enough after an outage: older missed ones would look at the same runs. */
const CATCHUP_WINDOW_MS = 60_000;
/** A sweep stuck this long (a workspace that never answers) gives way to the next one (overlap SKIP). */
const SWEEP_TIMEOUT_MS = 30 * 60_000;

function desired(options: { taskQueue: string; interval: number }) {
  const args: [ReaperInput] = [{}];
  return {
    spec: { intervals: [{ every: options.interval }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: REAPER_WORKFLOW_TYPE,
      // The Schedule appends the scheduled time, so each sweep has its own id.
      workflowId: reaperScheduleId(options.taskQueue),
      taskQueue: options.taskQueue,
      args,
      workflowExecutionTimeout: SWEEP_TIMEOUT_MS,
      staticSummary: 'Orphan reaper: cancel Databricks runs no workflow is watching',
    },
    policies: {
      // Never two sweeps at once: a slow one is not joined by the next, which is skipped.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: CATCHUP_WINDOW_MS,
      pauseOnFailure: false,
    },
  };
}

function isCurrent(current: ScheduleDescription, wanted: ReturnType<typeof desired>): boolean {
  const action = current.action;
  return (
    current.spec.intervals?.length === 1 &&
    (current.spec.calendars?.length ?? 0) === 0 &&
    current.spec.intervals[0]!.every === wanted.spec.intervals[0]!.every &&
    action.workflowType === wanted.action.workflowType &&
    action.taskQueue === wanted.action.taskQueue &&
    action.workflowExecutionTimeout === wanted.action.workflowExecutionTimeout &&
    JSON.stringify(action.args) === JSON.stringify(wanted.action.args) &&
    current.policies.overlap === wanted.policies.overlap &&
    current.policies.catchupWindow === wanted.policies.catchupWindow
  );
}

/** Creates, updates, or (interval "off") deletes the reaper Schedule of `taskQueue`; says which. */
export async function installReaperSchedule(
  client: Client,
  options: ReaperScheduleOptions,
): Promise<ReaperScheduleChange> {
  const scheduleId = reaperScheduleId(options.taskQueue);
  const handle = client.schedule.getHandle(scheduleId);
  if (options.interval === 'off') {
    try {
      await handle.delete();
      return 'deleted';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'absent';
      throw err;
    }
  }
  const wanted = desired({ taskQueue: options.taskQueue, interval: options.interval });
  try {
    await client.schedule.create({ scheduleId, ...wanted, state: { note: NOTE } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  if (isCurrent(await handle.describe(), wanted)) return 'unchanged';
  await handle.update((previous) => ({
    ...previous,
    ...wanted,
    // Someone may have paused it in the UI on purpose: a restart neither unpauses it nor drops the note.
    state: { paused: previous.state.paused, note: previous.state.paused ? previous.state.note : NOTE },
  }));
  return 'updated';
}

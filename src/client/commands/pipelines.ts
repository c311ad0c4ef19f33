/**
 * Pipelines from the command line: `lakeloop pipeline start|status|approve|reject` and
 * `lakeloop schedule create|list|describe|update|pause|unpause|trigger|backfill|delete` — Temporal
 * Schedules that start mlPipeline. A pipeline file is validated before anything is created.
 */
import { readFileSync } from 'node:fs';
import type {
  ScheduleDescription,
  ScheduleOptionsStartWorkflowAction,
  ScheduleOverlapPolicy,
  ScheduleSpec,
  ScheduleUpdateOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { parseDuration } from '../../shared/duration.js';
import { parsePipeline, type ValidPipeline } from '../../shared/pipeline-definition.js';
import type { PipelineResult } from '../../shared/pipeline-types.js';
import { LakeloopPipeline } from '../../shared/search-attributes.js';
import { pipelineDetails } from '../../shared/ui-details.js';
import { pipelineSummary } from '../../shared/ui-summary.js';
import type { LakeloopClient } from '../connect.js';
import { formatStep } from '../status-text.js';
import { InputError } from './runs.js';

/**
 * A pipeline definition file, validated. `flag` names the option that gave the file (`--pipeline` for
 * schedules); a positional file (`pipeline start FILE`) is named by itself.
 */
export function readPipelineFile(file: string, flag?: string): ValidPipeline {
  const where = flag ? `${flag}: ` : '';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(
      `${where}cannot read the pipeline file ${file} (${(err as NodeJS.ErrnoException).code ?? err})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${where}${file} is not valid JSON (${(err as Error).message})`);
  }
  const parsed = parsePipeline(raw);
  if (!parsed.ok)
    throw new InputError(`${where}${file}:\n${parsed.problems.map((p) => `  ${p}`).join('\n')}`);
  return parsed.value;
}

const OVERLAP: Record<string, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};

export interface ScheduleFlags {
  cron?: string;
  every?: string;
  overlap?: string;
  catchupWindow?: string;
  pauseOnFailure?: boolean;
}

export function scheduleSpec(flags: Pick<ScheduleFlags, 'cron' | 'every'>): ScheduleSpec {
  if ((flags.cron === undefined) === (flags.every === undefined)) {
    throw new InputError('expected exactly one of --cron EXPR or --every DURATION');
  }
  if (flags.cron !== undefined) {
    if (flags.cron.trim().split(/\s+/).length !== 5) {
      throw new InputError(
        `--cron: expected five fields "minute hour day month weekday", e.g. "0 2 * * *" (got "${flags.cron}")`,
      );
    }
    return { cronExpressions: [flags.cron] };
  }
  const every = parseDuration(flags.every!);
  if (every === undefined || every < 60_000) {
    throw new InputError(`--every: expected a duration of at least 1m, e.g. "6h" (got "${flags.every}")`);
  }
  return { intervals: [{ every }] };
}

export function overlapPolicy(value: string | undefined): ScheduleOverlapPolicy | undefined {
  if (value === undefined) return undefined;
  const policy = OVERLAP[value];
  if (!policy)
    throw new InputError(`--overlap: expected one of ${Object.keys(OVERLAP).join(', ')} (got "${value}")`);
  return policy;
}

function catchupWindow(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 10_000)
    throw new InputError(`--catchup-window: expected a duration of at least 10s (got "${value}")`);
  return ms;
}

export async function createSchedule(
  lakeloop: LakeloopClient,
  name: string,
  pipeline: ValidPipeline,
  flags: ScheduleFlags,
): Promise<void> {
  const spec = scheduleSpec(flags);
  const overlap = overlapPolicy(flags.overlap);
  const catchup = catchupWindow(flags.catchupWindow);
  await lakeloop.client.schedule.create({
    scheduleId: name,
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: 'mlPipeline',
      taskQueue: lakeloop.taskQueue,
      workflowId: `pipeline-${pipeline.name}`,
      args: [pipeline],
      typedSearchAttributes: [{ key: LakeloopPipeline, value: pipeline.name }],
      staticSummary: pipelineSummary(pipeline),
      staticDetails: pipelineDetails(pipeline),
    },
    policies: {
      ...(overlap ? { overlap } : {}),
      ...(catchup !== undefined ? { catchupWindow: catchup } : {}),
      pauseOnFailure: flags.pauseOnFailure ?? false,
    },
    typedSearchAttributes: [{ key: LakeloopPipeline, value: pipeline.name }],
    memo: { pipeline: pipeline.name },
  });
}

/** Changes only what was given, through update(fn): never replaces the whole schedule. */
export async function updateSchedule(
  lakeloop: LakeloopClient,
  name: string,
  changes: ScheduleFlags & { pipeline?: ValidPipeline },
): Promise<void> {
  const spec = changes.cron !== undefined || changes.every !== undefined ? scheduleSpec(changes) : undefined;
  const overlap = overlapPolicy(changes.overlap);
  const catchup = catchupWindow(changes.catchupWindow);
  await lakeloop.client.schedule.getHandle(name).update((previous) => {
    // A description is what update() expects back, with normalised spec/action types; start from it
    // so every field not being changed is kept exactly.
    const next = { ...previous } as unknown as ScheduleUpdateOptions<
      ScheduleOptionsStartWorkflowAction<Workflow>
    >;
    if (spec) next.spec = spec;
    if (overlap) next.policies = { ...next.policies, overlap };
    if (catchup !== undefined) next.policies = { ...next.policies, catchupWindow: catchup };
    if (changes.pauseOnFailure !== undefined)
      next.policies = { ...next.policies, pauseOnFailure: changes.pauseOnFailure };
    if (changes.pipeline && next.action.type === 'startWorkflow')
      next.action = {
        ...next.action,
        args: [changes.pipeline],
        staticSummary: pipelineSummary(changes.pipeline),
        staticDetails: pipelineDetails(changes.pipeline),
      };
    return next;
  });
}

export function describeSchedule(name: string, d: ScheduleDescription): Record<string, unknown> {
  const spec = d.spec as { cronExpressions?: string[]; intervals?: Array<{ every: unknown }> };
  return {
    schedule: name,
    paused: d.state.paused,
    note: d.state.note,
    spec: spec.cronExpressions?.length
      ? { cron: spec.cronExpressions }
      : { every: spec.intervals?.map((i) => i.every) },
    overlap: d.policies.overlap,
    catchupWindowMs: d.policies.catchupWindow,
    pauseOnFailure: d.policies.pauseOnFailure,
    actions: d.info.numActionsTaken,
    nextActionTimes: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    recentActions: d.info.recentActions.slice(-5).map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
  };
}

/** A readable summary of a finished pipeline: one line per step, then metrics and the decision. */
export function formatPipelineResult(workflowId: string, r: PipelineResult): string {
  const lines = [`pipeline     ${r.pipeline} (${workflowId})`];
  lines.push(...r.steps.map(formatStep));
  const value = r.candidate.value !== undefined ? r.candidate.value.toFixed(4) : 'n/a';
  const champion = r.champion
    ? ` vs champion v${r.champion.version}${r.champion.value !== undefined ? ` ${r.champion.value.toFixed(4)}` : ''}`
    : '';
  lines.push(`metric       ${r.metric} ${value}${champion}`);
  lines.push(`decision     ${r.decision.passed ? 'passed' : 'rejected'}: ${r.decision.reason}`);
  lines.push(
    `model        ${r.promoted ? `promoted version ${r.modelVersion}` : r.modelVersion ? `kept version ${r.modelVersion}` : 'none'}`,
  );
  if (r.scoredWithVersion)
    lines.push(`scored with  version ${r.scoredWithVersion}${r.score ? ` ${JSON.stringify(r.score)}` : ''}`);
  return lines.join('\n');
}

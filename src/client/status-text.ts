/** `lakeloop status` for people: the state in words first, then what the kind of workflow has to say. */
import type { StepStatus } from '../shared/pipeline-types.js';
import type { RunStatusView } from '../workflows/index.js';
import { describeCaughtUp } from '../shared/caught-up.js';
import type { WorkflowStatus } from './inspect.js';
import { stateWords } from './workflow-status.js';
import { ACTIVE_LIFE_CYCLE_STATES } from '../shared/run-classification.js';

/** A run's phase in words (the `status` query's `phase`). */
export const RUN_PHASES: Record<RunStatusView['phase'], string> = {
  submitting: 'submitting the run to Databricks',
  waiting: 'waiting for the Databricks run',
  repairing: 'repairing the failed tasks',
  resubmitting: 'submitting the run again',
  'collecting-outputs': 'collecting the task outputs',
  cancelling: 'cancelling the Databricks run',
  done: 'finishing',
};

/**
 * Life-cycle states (Databricks' RunLifeCycleState, and SUBMITTED: databricksRun's own before the first
 * runs/get) rather than outcomes: said of a closed workflow, they are the last thing it saw.
 */
const LIFE_CYCLE_STATES = new Set<string>(['SUBMITTED', ...ACTIVE_LIFE_CYCLE_STATES]);

const row = (label: string, value: string): string => `${label.padEnd(12)} ${value}`;

/** One line per step: `  train     succeeded SUCCESS · run 500000000004 http://…` (no trailing spaces). */
export function formatStep(s: StepStatus): string {
  const run =
    s.databricksRunId !== undefined
      ? ` · run ${s.databricksRunId}${s.runPageUrl ? ` ${s.runPageUrl}` : ''}`
      : '';
  return `  ${s.name.padEnd(9)} ${s.state.padEnd(9)} ${s.detail ?? ''}${run}`.trimEnd();
}

function stateLine(s: WorkflowStatus): string {
  if (s.state !== 'RUNNING') return `${stateWords(s.state)}${s.reason ? `: ${s.reason}` : ''}`;
  if (s.liveViewMissing) return `running (${s.liveViewMissing})`;
  if (s.kind === 'run' && s.phase)
    return `running — ${RUN_PHASES[s.phase]}${s.waitMode && s.phase === 'waiting' ? ` (by ${s.waitMode})` : ''}`;
  if (s.kind === 'pipeline' && s.steps) {
    if (s.awaitingApproval) {
      const c = s.candidate;
      const which = c
        ? ` of ${c.mlflowRunId ? `MLflow run ${c.mlflowRunId}, ` : ''}train run ${c.trainRunId} (${c.metric} ${c.value})` +
          ` — \`lakeloop pipeline approve|reject ID --candidate ${c.mlflowRunId ?? c.trainRunId}\``
        : ': `lakeloop pipeline approve|reject ID`';
      return `running — waiting for approval${which}`;
    }
    const current = s.steps.find((step) => step.state === 'running');
    return `running${current ? ` — ${current.name} step` : ''}`;
  }
  return 'running';
}

export function formatStatus(s: WorkflowStatus): string {
  const lines = [
    row('workflow', `${s.workflowId} (${s.kind === 'other' ? s.workflowType : s.kind})`),
    row('state', stateLine(s)),
  ];
  if (s.kind === 'run') {
    // A workflow that ended before its run did (cancelled, failed) may hold a life-cycle state.
    const lastSeen =
      s.state !== 'RUNNING' && s.databricksRunState && LIFE_CYCLE_STATES.has(s.databricksRunState)
        ? `last seen ${s.databricksRunState}`
        : s.databricksRunState;
    const ids = [
      s.databricksRunId !== undefined ? `run ${s.databricksRunId}` : 'no run submitted',
      s.databricksJobId !== undefined ? `job ${s.databricksJobId}` : undefined,
      lastSeen,
    ].filter(Boolean);
    lines.push(row('databricks', ids.join(' · ')));
    if (s.runPageUrl) lines.push(row('run page', s.runPageUrl));
    if (s.failedTasks?.length) lines.push(row('failed tasks', s.failedTasks.join(', ')));
    if (s.waitMode)
      lines.push(
        row(
          'waited by',
          `${s.waitMode}${s.attempts ? ` · ${s.attempts} attempt${s.attempts === 1 ? '' : 's'}` : ''}`,
        ),
      );
    // The run's end was found by a receiver's catch-up, not by its notification.
    if (s.caughtUp) lines.push(row('caught up', describeCaughtUp(s.caughtUp)));
  }
  if (s.kind === 'pipeline') {
    if (s.pipeline) lines.push(row('pipeline', s.pipeline));
    if (s.decision)
      lines.push(row('decision', `${s.decision}${s.decisionReason ? `: ${s.decisionReason}` : ''}`));
    if (s.modelVersion)
      lines.push(
        row('model', `version ${s.modelVersion}${s.decision === 'promoted' ? ' (promoted)' : ' (kept)'}`),
      );
    if (s.steps) lines.push('steps', ...s.steps.map(formatStep));
  }
  if (s.answeredBy) lines.push(row('worker', s.answeredBy));
  if (s.parent) lines.push(row('started by', s.parent));
  lines.push(row('started', s.started));
  if (s.closed) lines.push(row('ended', s.closed));
  return lines.join('\n');
}

/**
 * mlPipeline: train → evaluate → gate → (approval) → register → score, for one pipeline definition.
 *
 * Train and score run as databricksRun child workflows (each with its own history, retries and
 * cancellation). The gate compares the candidate's metric with a threshold and, if asked, with the
 * model currently holding the alias; a candidate that fails is not registered and scoring uses the
 * existing champion. The `status` query shows every step at any moment.
 */
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import {
  judge,
  parsePipeline,
  partialSuccessRefusal,
  type PipelineDefinition,
  type ValidPipeline,
} from '../shared/pipeline-definition.js';
import type { ApprovalDecision, PipelineResult, StepName, StepStatus } from '../shared/pipeline-types.js';
import { toDatabricksId } from '../shared/databricks-id.js';
import type { RunResult } from '../shared/run-types.js';
import { LakeloopDecision, LakeloopModelVersion, LakeloopPipeline } from '../shared/search-attributes.js';
import { pipelineStepDetails } from '../shared/ui-details.js';
import { pipelineStepSummary } from '../shared/ui-summary.js';
import { databricksRun } from './databricks-run.js';
import { LineageRun, LineageSteps } from './lineage.js';

/** What the mlPipeline `status` query answers while it runs. */
export interface PipelineStatusView {
  pipeline: string;
  steps: StepStatus[];
  awaitingApproval: boolean;
  /** The candidate at the approval gate, once it is reached: what a decision's `candidate` must name. */
  candidate?: ApprovalCandidate;
}

/** A trained model waiting for (or past) its approval. */
export interface ApprovalCandidate {
  /** The train run's MLflow run id, when it reported one. */
  mlflowRunId?: string;
  /** The train run's Databricks run id (exact decimal). */
  trainRunId: string;
  metric: string;
  value: number;
}

/** An approve or reject decision sent to a pipeline waiting at its approval gate. */
export interface ApprovalInput {
  by?: string;
  comment?: string;
  /**
   * The candidate the caller means to decide on: its MLflow run id or its train run's Databricks run id
   * (the status query shows both). A decision naming another candidate is refused, so an approval
   * meant for last night's model cannot promote tonight's. Optional.
   */
  candidate?: string;
}

/** The gate refuses a train run that ended SUCCESS_WITH_FAILURES (unless evaluate.acceptPartialSuccess). */
const PARTIAL_SUCCESS_GATE_PATCH = 'partial-success-gate';
/**
 * approve/reject signals that the decide update would refuse (before the gate, after a skipped gate,
 * naming another candidate) are ignored. Histories from before took them (a signal sent early decided
 * the gate in advance); patched() is consulted only when such a signal arrives, so they replay as they ran.
 */
const APPROVAL_GATE_PATCH = 'approval-only-at-the-gate';
/**
 * The decision and the model version holding the alias become search attributes (LakeloopDecision,
 * LakeloopModelVersion) once decided, so the workflow list tells a rejected candidate from a promoted
 * one. One more command: histories recorded before replay without it. In every new pipeline history.
 */
const OUTCOME_ATTRIBUTES_PATCH = 'pipeline-outcome-attributes';

/** The mlPipeline `status` query. */
export const pipelineStatusQuery = defineQuery<PipelineStatusView>('status');
/** Approves the candidate at the gate (ignored unless the pipeline waits there, for this candidate when it names one). */
export const approveSignal = defineSignal<[ApprovalInput]>('approve');
/** Rejects the candidate at the gate (ignored unless the pipeline waits there, for this candidate when it names one). */
export const rejectSignal = defineSignal<[ApprovalInput]>('reject');
/** The same decision as an update: the caller learns at once whether it was accepted. */
export const decideUpdate = defineUpdate<
  ApprovalDecision,
  [ApprovalInput & { decision: 'approve' | 'reject' }]
>('decide');

const { fetchRunMetrics, getModelVersionByAlias, registerModelVersion, setModelAlias } = proxyActivities<
  ReturnType<typeof createActivities>
>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
  },
});

/** The train task's output line: what train.py (or any training job) reports. */
interface TrainOutput {
  mlflow_run_id?: string;
  metrics?: Record<string, number>;
}

function parseTrainOutput(run: RunResult, taskKey: string | undefined): TrainOutput {
  const outputs = taskKey
    ? run.outputs.filter((o) => o.taskKey === taskKey)
    : run.outputs.filter((o) => o.result);
  const text = outputs.find((o) => o.result)?.result;
  if (!text) {
    throw ApplicationFailure.nonRetryable(
      `the train run ${run.runId} produced no output${taskKey ? ` for task ${taskKey}` : ''}; it must report {mlflow_run_id, metrics}`,
      'TrainOutputMissing',
    );
  }
  try {
    return JSON.parse(text) as TrainOutput;
  } catch {
    throw ApplicationFailure.nonRetryable(
      `the train run's output is not JSON: ${text.slice(0, 200)}`,
      'TrainOutputInvalid',
    );
  }
}

/**
 * Train → evaluate → (approve) → register and promote → score, each Databricks step a databricksRun child.
 */
export async function mlPipeline(rawDefinition: PipelineDefinition): Promise<PipelineResult> {
  // OpenLineage: the pipeline's run (START now), its in-workflow steps, one end each (src/workflows/lineage.ts).
  const lineage = LineageRun.ofWorkflow();
  const lineageSteps = new LineageSteps();
  try {
    const result = await runPipeline(rawDefinition, lineageSteps);
    lineage.end('COMPLETE');
    return result;
  } catch (err) {
    lineageSteps.endAllWith(err);
    lineage.endWith(err);
    throw err;
  }
}

async function runPipeline(
  rawDefinition: PipelineDefinition,
  lineageSteps: LineageSteps,
): Promise<PipelineResult> {
  const parsed = parsePipeline(rawDefinition);
  if (!parsed.ok) {
    throw ApplicationFailure.create({
      type: 'InvalidPipeline',
      message: `invalid pipeline definition: ${parsed.problems.join('; ')}`,
      nonRetryable: true,
      details: [parsed.problems],
    });
  }
  const pipeline: ValidPipeline = parsed.value;
  const id = workflowInfo().workflowId;
  const steps: StepStatus[] = (['train', 'evaluate', 'approval', 'register', 'score'] as StepName[]).map(
    (name) => ({
      name,
      state:
        (name === 'approval' && !pipeline.approval) || (name === 'score' && !pipeline.score)
          ? 'skipped'
          : 'pending',
    }),
  );
  let approval: ApprovalDecision | undefined;
  let awaitingApproval = false;
  /** Where the approval gate stands: not reached yet, waiting, or passed (decided, timed out, skipped). */
  let gate: 'ahead' | 'waiting' | 'closed' = pipeline.approval ? 'ahead' : 'closed';
  let gateCandidate: ApprovalCandidate | undefined;

  upsertSearchAttributes([{ key: LakeloopPipeline, value: pipeline.name }]);
  setHandler(pipelineStatusQuery, () => ({
    pipeline: pipeline.name,
    steps,
    awaitingApproval,
    ...(gateCandidate ? { candidate: gateCandidate } : {}),
  }));
  const decide = (decision: ApprovalDecision['decision'], input: ApprovalInput): ApprovalDecision => {
    approval ??= {
      decision,
      by: input.by ?? 'unknown',
      ...(input.comment ? { comment: input.comment } : {}),
    };
    return approval;
  };

  /** Why a decision cannot be taken now, or undefined when it can. */
  function approvalRefusal(input: ApprovalInput | undefined): string | undefined {
    if (approval !== undefined) {
      return approval.timedOut
        ? `the approval already timed out: the pipeline's default (${approval.decision}) applied`
        : `the approval was already decided: ${PAST[approval.decision]} by ${approval.by}`;
    }
    if (!pipeline.approval) return 'this pipeline has no approval step';
    if (gate === 'ahead') {
      return 'this pipeline has not reached its approval gate yet: the candidate is still being trained or evaluated';
    }
    if (gate === 'closed') return 'the approval step was skipped: the candidate did not pass the gate';
    const expected = input?.candidate;
    if (
      expected !== undefined &&
      gateCandidate !== undefined &&
      expected !== gateCandidate.mlflowRunId &&
      expected !== gateCandidate.trainRunId
    ) {
      return `the candidate awaiting approval is ${describeCandidate(gateCandidate)}, not "${expected}"`;
    }
    return undefined;
  }

  const onSignal = (decision: ApprovalDecision['decision']) => (input: ApprovalInput | undefined) => {
    const refusal = approvalRefusal(input);
    if (refusal !== undefined) {
      // A second decision was always ignored; the others were taken before (see the patch).
      if (approval !== undefined || patched(APPROVAL_GATE_PATCH)) {
        log.warn(`${decision} signal ignored: ${refusal}`, { by: input?.by });
        return;
      }
    }
    decide(decision, input ?? {});
  };
  setHandler(approveSignal, onSignal('approve'));
  setHandler(rejectSignal, onSignal('reject'));
  setHandler(decideUpdate, (input) => decide(input.decision, input), {
    // Refused before anything is recorded: the caller gets the reason, the history nothing.
    validator: (input) => {
      if (input?.decision !== 'approve' && input?.decision !== 'reject') {
        throw ApplicationFailure.create({
          type: 'ApprovalRefused',
          message: `decision: expected "approve" or "reject" (got ${JSON.stringify(input?.decision)})`,
        });
      }
      const refusal = approvalRefusal(input);
      if (refusal !== undefined)
        throw ApplicationFailure.create({ type: 'ApprovalRefused', message: refusal });
    },
  });

  /** The outcome once decided, first in the current details (the UI shows them while it runs). */
  let outcome: string | undefined = undefined;
  function showDetails(): void {
    setCurrentDetails(
      `**Pipeline** ${pipeline.name}\n\n` +
        (outcome ? `${outcome}\n\n` : '') +
        steps
          .map((s) => `- ${s.name}: ${s.state}${s.detail ? ` — ${s.detail}` : ''}${runLink(s)}`)
          .join('\n'),
    );
  }

  function step(name: StepName, update: Partial<StepStatus>): void {
    Object.assign(
      steps.find((s) => s.name === name)!,
      update,
    );
    showDetails();
  }

  async function runChild(name: 'train' | 'score', input: ValidPipeline['train']): Promise<RunResult> {
    const workflowId = `${id}/${name}`;
    step(name, { state: 'running', workflowId });
    try {
      const result = await executeChild(databricksRun, {
        workflowId,
        args: [input],
        // A parent terminated or timed out asks its runs to cancel (the default would terminate them,
        // leaving their Databricks runs to the orphan reaper).
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        // User metadata: not part of the determinism check, so recorded histories still replay.
        staticSummary: pipelineStepSummary(pipeline.name, name, input),
        staticDetails: pipelineStepDetails(pipeline.name, name, input),
      });
      step(name, {
        state: 'succeeded',
        databricksRunId: toDatabricksId(result.runId),
        runPageUrl: result.runPageUrl,
        detail: result.outcome,
      });
      return result;
    } catch (err) {
      const failed = (err as { cause?: { details?: unknown[] } }).cause?.details?.[0] as
        RunResult | undefined;
      step(name, {
        state: 'failed',
        databricksRunId: toDatabricksId(failed?.runId),
        runPageUrl: failed?.runPageUrl,
        detail: failed?.outcome ?? 'failed',
      });
      throw err;
    }
  }

  // 1. Train.
  const trained = await runChild('train', pipeline.train);

  // 2. Evaluate: the candidate's metrics, and the champion's when it must be beaten.
  step('evaluate', { state: 'running' });
  lineageSteps.started('evaluate');
  const output = parseTrainOutput(trained, pipeline.evaluate.taskKey);
  const { model, alias, artifactPath } = pipeline.register;
  const candidateMetrics =
    pipeline.evaluate.source === 'mlflow' && output.mlflow_run_id
      ? (await fetchRunMetrics(output.mlflow_run_id)).metrics
      : (output.metrics ?? {});
  const candidateValue = candidateMetrics[pipeline.evaluate.metric];
  if (candidateValue === undefined) {
    step('evaluate', { state: 'failed', detail: `metric ${pipeline.evaluate.metric} not reported` });
    throw ApplicationFailure.nonRetryable(
      `the candidate reported no "${pipeline.evaluate.metric}" metric (it has: ${Object.keys(candidateMetrics).join(', ') || 'none'})`,
      'MetricMissing',
    );
  }
  const champion = await getModelVersionByAlias({ name: model, alias });
  let championValue: number | undefined;
  if (champion?.runId && pipeline.evaluate.mustBeatChampion) {
    championValue = (await fetchRunMetrics(champion.runId)).metrics[pipeline.evaluate.metric];
  }
  let verdict = judge(pipeline.evaluate, candidateValue, championValue);
  // A train run that ended SUCCESS_WITH_FAILURES is not clean: refused unless the pipeline accepts it.
  // patched() only on that path, so usual histories carry no marker; older histories replay as they ran.
  const partial = partialSuccessRefusal(pipeline.evaluate, trained);
  if (partial !== undefined && patched(PARTIAL_SUCCESS_GATE_PATCH))
    verdict = { passed: false, reason: partial };
  step('evaluate', { state: verdict.passed ? 'succeeded' : 'failed', detail: verdict.reason });
  lineageSteps.completed('evaluate');

  // 3. Approval (only for a candidate that passed the gate).
  let approved = verdict.passed;
  if (pipeline.approval) {
    if (!verdict.passed) {
      gate = 'closed';
      step('approval', { state: 'skipped', detail: 'the candidate did not pass the gate' });
    } else {
      gateCandidate = {
        ...(output.mlflow_run_id ? { mlflowRunId: output.mlflow_run_id } : {}),
        trainRunId: toDatabricksId(trained.runId) ?? String(trained.runId),
        metric: pipeline.evaluate.metric,
        value: candidateValue,
      };
      gate = 'waiting';
      awaitingApproval = true;
      lineageSteps.started('approval');
      step('approval', {
        state: 'waiting',
        detail: `candidate ${describeCandidate(gateCandidate)}: send the decide update (or the approve or reject signal)`,
      });
      const decided = await condition(() => approval !== undefined, pipeline.approval.timeout);
      awaitingApproval = false;
      gate = 'closed';
      if (!decided) approval = { decision: pipeline.approval.onTimeout, by: 'timeout', timedOut: true };
      approved = approval!.decision === 'approve';
      step('approval', {
        state: approved ? 'succeeded' : 'failed',
        detail: `${PAST[approval!.decision]} by ${approval!.by}${approval!.timedOut ? ' (no decision before the timeout)' : ''}`,
      });
      lineageSteps.completed('approval');
    }
  }

  // 4. Register and promote — or keep the existing champion.
  let modelVersion = champion?.version;
  let promoted = false;
  if (approved && output.mlflow_run_id) {
    step('register', { state: 'running' });
    lineageSteps.started('register');
    // The provenance becomes tags on the version (lineage from the model back to this workflow). An
    // activity's input is not part of replay's determinism check, so older histories replay unchanged.
    const version = await registerModelVersion({
      name: model,
      runId: output.mlflow_run_id,
      artifactPath,
      provenance: {
        pipeline: pipeline.name,
        trainWorkflowId: `${id}/train`,
        databricksRunId: toDatabricksId(trained.runId) ?? String(trained.runId),
        ...(trained.runPageUrl ? { databricksRunPageUrl: trained.runPageUrl } : {}),
        ...(trained.jobFingerprint ? { jobFingerprint: trained.jobFingerprint } : {}),
        ...(approval?.decision === 'approve' ? { approvedBy: approval.by } : {}),
      },
    });
    // How it was promoted (an alias, or a stage in the workspace registry); histories recorded before
    // the activity returned it replay with no result, hence the fallback.
    const promotedAs: string | undefined = await setModelAlias({
      name: model,
      alias,
      version: version.version,
    });
    modelVersion = version.version;
    promoted = true;
    step('register', {
      state: 'succeeded',
      detail: `${model} version ${version.version} is now ${promotedAs ?? `"${alias}"`}`,
    });
    lineageSteps.completed('register');
  } else {
    const why = !output.mlflow_run_id
      ? 'the train run reported no MLflow run id'
      : 'the candidate was not accepted';
    step('register', {
      state: 'skipped',
      detail: `${why}; ${champion ? `"${alias}" stays ${model} version ${champion.version}` : `${model} has no "${alias}" yet`}`,
    });
  }

  const decision = promoted ? 'promoted' : approved ? 'not-promoted' : 'rejected';
  const reason =
    decision === 'not-promoted'
      ? `${verdict.reason}; the train run reported no MLflow run id to register`
      : verdict.passed && approval?.decision === 'reject'
        ? `${verdict.reason}; rejected by ${approval.by}`
        : verdict.reason;
  outcome =
    `**Decision** ${decision}: ${reason}\n\n` +
    `**Model** ${
      promoted
        ? `${model} version ${modelVersion} promoted`
        : modelVersion !== undefined
          ? `${model} version ${modelVersion} stays "${alias}"`
          : `${model} has no "${alias}" yet`
    }`;
  showDetails();
  if (patched(OUTCOME_ATTRIBUTES_PATCH)) {
    upsertSearchAttributes([
      { key: LakeloopDecision, value: decision },
      ...(modelVersion !== undefined ? [{ key: LakeloopModelVersion, value: modelVersion }] : []),
    ]);
  }

  // 5. Score with whatever holds the alias now.
  let score: Record<string, unknown> | undefined;
  let scoredWithVersion: string | undefined;
  if (pipeline.score) {
    if (modelVersion === undefined) {
      step('score', { state: 'skipped', detail: `no "${alias}" model to score with` });
    } else {
      const scored = await runChild('score', pipeline.score);
      const text = scored.outputs.find((o) => o.result)?.result;
      score = text ? (safeJson(text) ?? { output: text }) : undefined;
      scoredWithVersion = typeof score?.model_version === 'string' ? score.model_version : modelVersion;
      step('score', {
        detail: `scored with ${model} version ${scoredWithVersion}${promoted ? '' : ' (the existing champion)'}`,
      });
    }
  }

  return {
    pipeline: pipeline.name,
    model,
    alias,
    steps,
    metric: pipeline.evaluate.metric,
    candidate: { mlflowRunId: output.mlflow_run_id, metrics: candidateMetrics, value: candidateValue },
    ...(champion ? { champion: { version: champion.version, value: championValue } } : {}),
    decision: { passed: verdict.passed, reason: verdict.reason, ...(approval ? { approval } : {}) },
    modelVersion,
    promoted,
    ...(scoredWithVersion ? { scoredWithVersion } : {}),
    ...(score ? { score } : {}),
  };
}

const PAST: Record<ApprovalDecision['decision'], string> = { approve: 'approved', reject: 'rejected' };

function describeCandidate(c: ApprovalCandidate): string {
  return `${c.mlflowRunId ? `MLflow run ${c.mlflowRunId}, ` : ''}train run ${c.trainRunId} (${c.metric} ${c.value})`;
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The Databricks run of a train/score step in the current details: " (run [123](url))". */
function runLink(s: StepStatus): string {
  if (!s.runPageUrl) return s.databricksRunId !== undefined ? ` (run ${s.databricksRunId})` : '';
  return ` (run [${s.databricksRunId ?? 'page'}](${s.runPageUrl}))`;
}

/**
 * `lakeloop lineage`: where a model version came from, and where it went. From a model (`name@alias`,
 * `name/version`) the version's `lakeloop.*` tags name the pipeline workflow that registered it; from a
 * pipeline workflow id the chain starts there. Each link is read from the system that owns it — Temporal
 * (the pipeline and its train/score child workflows, the approval event, later pipelines by search
 * attribute), Databricks (runs/get of the train run, jobs/get of its job), MLflow (the run that logged the
 * candidate) and the model registry (the version and its tags) — and a link that cannot be read is
 * listed in `unresolved` with the reason, never filled in from memory.
 */
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { JobsClient } from '../../databricks/jobs.js';
import { isMissing, type MlflowClient } from '../../mlflow/client.js';
import { registeringWorkflow } from '../../shared/model-provenance.js';
import type { ApprovalDecision, PipelineResult, StepStatus } from '../../shared/pipeline-types.js';
import type { AttemptRecord, RunResult } from '../../shared/run-types.js';
import { LakeloopDecision, LakeloopModelVersion, LakeloopPipeline } from '../../shared/search-attributes.js';
import { CommandFailed } from '../cli-support.js';
import { explainFailure } from '../commands/runs.js';
import type { ModelReference, ModelVersionRecord, RegistryReader } from './registry-reader.js';

export interface LineageDeps {
  temporal: Client;
  /** Absent when the CLI has no Databricks configuration: those links are then unresolved. */
  jobs?: JobsClient;
  mlflow?: MlflowClient;
  registry?: RegistryReader;
}

export interface TrainLink {
  workflowId: string;
  status: string;
  outcome?: string;
  databricksRunId?: string;
  runPageUrl?: string;
  jobId?: string;
  jobName?: string;
  /** A one-time run (runs/submit): no saved job, the definition is the fingerprint. */
  oneTime?: boolean;
  jobFingerprint?: string;
  attempts: AttemptRecord[];
  repairs: number;
  /** What runs/get answers for the run now. */
  databricks?: { lifeCycleState?: string; resultState?: string };
}

export interface MlflowRunLink {
  runId: string;
  experimentId?: string;
  runName?: string;
  status?: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  /** The run's own code and data references: `mlflow.source.*`, `mlflow.databricks.*` and `lakeloop.*` tags. */
  references: Record<string, string>;
}

export interface AliasChange {
  workflowId: string;
  version?: string;
  at?: string;
}

export interface ScoringRun {
  pipelineWorkflowId: string;
  workflowId?: string;
  state: string;
  databricksRunId?: string;
  runPageUrl?: string;
  scoredWithVersion?: string;
}

export interface Lineage {
  query: string;
  model?: ModelVersionRecord & { alias?: string };
  pipeline: {
    workflowId: string;
    runId: string;
    status: string;
    name?: string;
    decision?: string;
    modelVersion?: string;
    startedAt: string;
    closedAt?: string;
  };
  train?: TrainLink;
  mlflowRun?: MlflowRunLink;
  approval?: ApprovalDecision & { at?: string };
  /** Pipelines of the same name that promoted a version, oldest first: the alias's history through Lakeloop. */
  aliasChanges: AliasChange[];
  /** Pipelines whose score step used this version. */
  scoring: ScoringRun[];
  unresolved: string[];
}

const MODEL_VERSION = /^(.+)\/(\d+)$/;
const REFERENCE_TAG = /^(mlflow\.source\.|mlflow\.databricks\.|lakeloop\.)/;
const LIST_LIMIT = 50;

/** `name@alias` and `name/version` name a model; anything else is a workflow id. */
export function parseModelReference(target: string): ModelReference | undefined {
  const at = target.lastIndexOf('@');
  if (at > 0 && at < target.length - 1) return { name: target.slice(0, at), alias: target.slice(at + 1) };
  const match = MODEL_VERSION.exec(target);
  return match ? { name: match[1]!, version: match[2]! } : undefined;
}

export async function traceLineage(deps: LineageDeps, target: string): Promise<Lineage> {
  const unresolved: string[] = [];
  const reference = parseModelReference(target);
  // A workflow id may end in "/<digits>" too: an existing workflow wins over a model reading.
  const asWorkflow = reference && 'alias' in reference ? undefined : await describeOrUndefined(deps, target);
  let model: Lineage['model'];
  let workflowId: string;
  let workflowRunId: string | undefined;
  if (asWorkflow) {
    workflowId = target;
  } else if (reference) {
    if (!deps.registry) {
      throw new CommandFailed(
        `${target} names a model: lineage reads it from the model registry, so set DATABRICKS_HOST and credentials (as for the worker)`,
      );
    }
    const found = await deps.registry.read(reference);
    if (!found) {
      throw new CommandFailed(
        `${'alias' in reference ? `${reference.name} has no "${reference.alias}"` : `${reference.name} has no version ${reference.version}`} in the ${deps.registry.registry} registry`,
      );
    }
    model = { ...found, ...('alias' in reference ? { alias: reference.alias } : {}) };
    const registering = registeringWorkflow(found.tags);
    if (!registering) {
      throw new CommandFailed(
        `${found.name} version ${found.version} carries no lakeloop.workflow_id tag: no Lakeloop pipeline registered it (or it was registered before Lakeloop tagged versions)`,
      );
    }
    workflowId = registering.workflowId;
    workflowRunId = registering.runId || undefined;
  } else {
    throw new CommandFailed(
      `no workflow ${target}, and it is not a model reference (name@alias or name/version)`,
    );
  }

  const handle = deps.temporal.workflow.getHandle(workflowId, workflowRunId);
  const description = asWorkflow ?? (await handle.describe());
  if (description.type !== 'mlPipeline') {
    throw new CommandFailed(
      `${workflowId} is a ${description.type} workflow: lineage starts from a pipeline`,
    );
  }
  const result = await pipelineResult(deps, description, unresolved);
  const steps = result?.steps ?? (await queryStatus(deps, description))?.steps ?? [];
  const name = result?.pipeline ?? description.typedSearchAttributes.get(LakeloopPipeline);
  const modelVersion = description.typedSearchAttributes.get(LakeloopModelVersion) ?? result?.modelVersion;

  const train = await traceTrain(deps, steps, unresolved);
  const mlflowRunId = result?.candidate.mlflowRunId;
  const mlflowRun = mlflowRunId ? await traceMlflowRun(deps, mlflowRunId, unresolved) : undefined;
  if (!mlflowRunId) unresolved.push('MLflow run: the train run reported no MLflow run id');

  if (!model && result?.model && modelVersion !== undefined && deps.registry) {
    const found = await deps.registry.read({ name: result.model, version: modelVersion });
    if (found) model = found;
    else unresolved.push(`model: ${result.model} version ${modelVersion} is not in the registry`);
  } else if (!model && modelVersion !== undefined && !result?.model) {
    unresolved.push('model: the pipeline result does not name its model (recorded before lineage)');
  } else if (!model && modelVersion !== undefined) {
    unresolved.push('model: no Databricks configuration to read the registry with');
  }
  if (model && mlflowRunId && model.mlflowRunId && model.mlflowRunId !== mlflowRunId) {
    unresolved.push(
      `model: ${model.name} version ${model.version} was registered from MLflow run ${model.mlflowRunId}, not the pipeline's candidate ${mlflowRunId}`,
    );
  }

  const approval = result?.decision.approval
    ? { ...result.decision.approval, ...(await approvalTime(deps, workflowId, description.runId)) }
    : undefined;
  const aliasChanges = name ? await listAliasChanges(deps, name) : [];
  const version = model?.version ?? modelVersion;
  const scoring = name && version !== undefined ? await listScoring(deps, name, version) : [];

  return {
    query: target,
    ...(model ? { model } : {}),
    pipeline: {
      workflowId,
      runId: description.runId,
      status: description.status.name,
      ...(name ? { name } : {}),
      ...(description.typedSearchAttributes.get(LakeloopDecision)
        ? { decision: description.typedSearchAttributes.get(LakeloopDecision) }
        : {}),
      ...(modelVersion !== undefined ? { modelVersion } : {}),
      startedAt: description.startTime.toISOString(),
      ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}),
    },
    ...(train ? { train } : {}),
    ...(mlflowRun ? { mlflowRun } : {}),
    ...(approval ? { approval } : {}),
    aliasChanges,
    scoring,
    unresolved,
  };
}

async function describeOrUndefined(
  deps: LineageDeps,
  workflowId: string,
): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await deps.temporal.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}

/** The pipeline's result once completed; a failed or running pipeline has none (its steps come from the query). */
async function pipelineResult(
  deps: LineageDeps,
  description: WorkflowExecutionDescription,
  unresolved: string[],
): Promise<PipelineResult | undefined> {
  if (description.status.name !== 'COMPLETED') {
    unresolved.push(`pipeline result: the workflow is ${description.status.name}`);
    return undefined;
  }
  return (await deps.temporal.workflow
    .getHandle(description.workflowId, description.runId)
    .result()) as PipelineResult;
}

async function queryStatus(
  deps: LineageDeps,
  description: WorkflowExecutionDescription,
): Promise<{ steps: StepStatus[] } | undefined> {
  try {
    return await deps.temporal.workflow
      .getHandle(description.workflowId, description.runId)
      .query<{ steps: StepStatus[] }>('status');
  } catch {
    return undefined; // no worker to answer: the train link is then unresolved
  }
}

async function traceTrain(
  deps: LineageDeps,
  steps: StepStatus[],
  unresolved: string[],
): Promise<TrainLink | undefined> {
  const step = steps.find((s) => s.name === 'train');
  if (!step?.workflowId) {
    unresolved.push('train: the pipeline has no train workflow yet');
    return undefined;
  }
  const handle = deps.temporal.workflow.getHandle(step.workflowId);
  const description = await handle.describe();
  let run: RunResult | undefined;
  if (description.status.name !== 'RUNNING') {
    try {
      run = (await handle.result()) as RunResult;
    } catch (err) {
      run = explainFailure(err).result;
    }
  }
  const link: TrainLink = {
    workflowId: step.workflowId,
    status: description.status.name,
    ...(run ? { outcome: run.outcome, jobFingerprint: run.jobFingerprint } : {}),
    databricksRunId: run?.runId || step.databricksRunId,
    runPageUrl: run?.runPageUrl ?? step.runPageUrl,
    ...(run?.jobId ? { jobId: String(run.jobId) } : {}),
    attempts: run?.attempts ?? [],
    repairs: run?.repairs ?? 0,
  };
  if (!link.databricksRunId) {
    unresolved.push('train: no Databricks run was submitted');
    return link;
  }
  if (!deps.jobs) {
    unresolved.push('Databricks run: no Databricks configuration to read it with');
    return link;
  }
  try {
    const databricksRun = await deps.jobs.getRun(link.databricksRunId);
    link.databricks = {
      ...(databricksRun.state?.life_cycle_state
        ? { lifeCycleState: databricksRun.state.life_cycle_state }
        : {}),
      ...(databricksRun.state?.result_state ? { resultState: databricksRun.state.result_state } : {}),
    };
    link.runPageUrl ??= databricksRun.run_page_url;
    // A one-time run (run_type SUBMIT_RUN, "a run created with jobs/submit": databricks-sdk-go
    // service/jobs RunType) has no saved job definition to read: its definition is the fingerprint.
    if (databricksRun.run_type === 'SUBMIT_RUN') link.oneTime = true;
    else if (link.jobId) link.jobName = (await deps.jobs.getJob(link.jobId)).settings?.name;
  } catch (err) {
    unresolved.push(`Databricks run ${link.databricksRunId}: ${(err as Error).message.split('\n')[0]}`);
  }
  return link;
}

async function traceMlflowRun(
  deps: LineageDeps,
  runId: string,
  unresolved: string[],
): Promise<MlflowRunLink | undefined> {
  if (!deps.mlflow) {
    unresolved.push(`MLflow run ${runId}: no Databricks configuration to read it with`);
    return undefined;
  }
  try {
    const run = await deps.mlflow.getRun(runId);
    return {
      runId: run.info.run_id,
      ...(run.info.experiment_id ? { experimentId: run.info.experiment_id } : {}),
      ...(run.info.run_name ? { runName: run.info.run_name } : {}),
      ...(run.info.status ? { status: run.info.status } : {}),
      params: Object.fromEntries(run.data.params.map((p) => [p.key, p.value])),
      metrics: Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value])),
      references: Object.fromEntries(
        run.data.tags.filter((t) => REFERENCE_TAG.test(t.key)).map((t) => [t.key, t.value]),
      ),
    };
  } catch (err) {
    unresolved.push(
      `MLflow run ${runId}: ${isMissing(err) ? 'not found' : (err as Error).message.split('\n')[0]}`,
    );
    return undefined;
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function eventDate(event: HistoryEvent): string | undefined {
  const time = event.eventTime;
  if (!time?.seconds) return undefined;
  return new Date(Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6)).toISOString();
}

/**
 * When the decision was taken: the first approve/reject signal or accepted `decide` update after the
 * train step closed (the gate opens after it; earlier signals were ignored by the workflow).
 */
async function approvalTime(deps: LineageDeps, workflowId: string, runId: string): Promise<{ at?: string }> {
  const history = await deps.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  let trainClosed = false;
  for (const event of history.events ?? []) {
    if (
      event.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId?.endsWith('/train')
    )
      trainClosed = true;
    if (!trainClosed) continue;
    const signal = event.workflowExecutionSignaledEventAttributes?.signalName;
    const update = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    if (signal === 'approve' || signal === 'reject' || update === 'decide') {
      const at = eventDate(event);
      return at ? { at } : {};
    }
  }
  return {};
}

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

async function listAliasChanges(deps: LineageDeps, pipeline: string): Promise<AliasChange[]> {
  const changes: AliasChange[] = [];
  const query = `WorkflowType = 'mlPipeline' AND ${LakeloopPipeline.name} = ${quote(pipeline)} AND ${LakeloopDecision.name} = 'promoted'`;
  for await (const execution of deps.temporal.workflow.list({ query, pageSize: LIST_LIMIT })) {
    const version = execution.typedSearchAttributes.get(LakeloopModelVersion);
    const at = (execution.closeTime ?? execution.startTime).toISOString();
    changes.push({ workflowId: execution.workflowId, ...(version !== undefined ? { version } : {}), at });
    if (changes.length >= LIST_LIMIT) break;
  }
  return changes.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
}

async function listScoring(deps: LineageDeps, pipeline: string, version: string): Promise<ScoringRun[]> {
  const runs: ScoringRun[] = [];
  const query = `WorkflowType = 'mlPipeline' AND ${LakeloopPipeline.name} = ${quote(pipeline)} AND ${LakeloopModelVersion.name} = ${quote(version)}`;
  for await (const execution of deps.temporal.workflow.list({ query, pageSize: LIST_LIMIT })) {
    let step: StepStatus | undefined;
    let scoredWithVersion: string | undefined;
    if (execution.status.name === 'COMPLETED') {
      const result = (await deps.temporal.workflow
        .getHandle(execution.workflowId, execution.runId)
        .result()) as PipelineResult;
      step = result.steps.find((s) => s.name === 'score');
      scoredWithVersion = result.scoredWithVersion;
      if (scoredWithVersion !== undefined && scoredWithVersion !== version) continue;
    }
    if (step?.state === 'skipped') continue;
    runs.push({
      pipelineWorkflowId: execution.workflowId,
      ...(step?.workflowId ? { workflowId: step.workflowId } : {}),
      state: step?.state ?? execution.status.name.toLowerCase(),
      ...(step?.databricksRunId ? { databricksRunId: step.databricksRunId } : {}),
      ...(step?.runPageUrl ? { runPageUrl: step.runPageUrl } : {}),
      ...(scoredWithVersion ? { scoredWithVersion } : {}),
    });
    if (runs.length >= LIST_LIMIT) break;
  }
  return runs;
}

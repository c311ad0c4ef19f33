/**
 * Experiments and runs in memory, shaped like MLflow's tracking store: the ids (experiment ids are
 * decimal strings starting with the "Default" experiment 0, run ids are 32 hex digits), the artifact
 * URIs an `mlflow server --serve-artifacts` hands out (`mlflow-artifacts:/<exp>/<run>/artifacts`) or, in
 * dbfs mode, a workspace's (`dbfs:/databricks/mlflow-tracking/<exp>/<run>/artifacts`), and
 * MLflow's rules (a param never changes value; metric history keeps every point, "latest" is the
 * point with the highest step, then timestamp, then value, as MLflow's SQL store chooses).
 */
import { randomUUID } from 'node:crypto';
import { invalidParameter, resourceDoesNotExist } from '../http/api-error.js';
import { resourceAlreadyExists } from './mlflow-request.js';

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
  tags: Record<string, string>;
}

export interface RunRecord {
  run_id: string;
  experiment_id: string;
  run_name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: 'active' | 'deleted';
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Every point, in logging order, per key. */
  metrics: Record<string, Metric[]>;
}

/** An MLflow 3 logged model (LoggedModelInfo + LoggedModelData in mlflow/protos/service.proto). */
export interface LoggedModelRecord {
  model_id: string;
  experiment_id: string;
  name: string;
  model_type?: string;
  source_run_id?: string;
  status: 'LOGGED_MODEL_PENDING' | 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED';
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  artifact_uri: string;
  creator: string;
  tags: Record<string, string>;
  params: Record<string, string>;
}

export interface TrackingSnapshot {
  nextExperimentId: number;
  experiments: Experiment[];
  runs: RunRecord[];
  /** Optional: state files from before logged models load without any. */
  loggedModels?: LoggedModelRecord[];
}

/** `mlflow-artifacts:` + `/<id>`: what `mlflow server --serve-artifacts` gives experiments. */
export const PROXY_ARTIFACT_BASE = 'mlflow-artifacts:';
/** A workspace's managed (access-controlled) experiment artifact root. */
export const DBFS_ARTIFACT_BASE = 'dbfs:/databricks/mlflow-tracking';

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;

export class TrackingStore {
  private experiments = new Map<string, Experiment>();
  private runs = new Map<string, RunRecord>();
  /** Logged models by model_id. */
  loggedModels = new Map<string, LoggedModelRecord>();
  private nextExperimentId = 1;
  /** New experiments' artifact_location is `<base>/<id>`. */
  private artifactBase = PROXY_ARTIFACT_BASE;

  constructor() {
    this.clear();
  }

  /** Choose where new experiments keep artifacts (before anything is created or restored). */
  setArtifactBase(base: string): void {
    this.artifactBase = base;
    this.clear();
  }

  clear(): void {
    this.experiments.clear();
    this.runs.clear();
    this.loggedModels.clear();
    // `mlflow server` starts with the Default experiment, id 0.
    this.insertExperiment('0', 'Default', Date.now());
  }

  createExperiment(name: string, tags: Record<string, string>, artifactLocation?: string): Experiment {
    const existing = [...this.experiments.values()].find((e) => e.name === name);
    if (existing) {
      throw resourceAlreadyExists(`Experiment(name=${name}) already exists.`);
    }
    const id = String(this.nextExperimentId++);
    const experiment = this.insertExperiment(id, name, Date.now(), artifactLocation);
    experiment.tags = { ...tags };
    return experiment;
  }

  getExperiment(id: string): Experiment {
    const experiment = this.experiments.get(id);
    if (!experiment) throw resourceDoesNotExist(`No Experiment with id=${id} exists`);
    return experiment;
  }

  getExperimentByName(name: string): Experiment {
    const experiment = [...this.experiments.values()].find((e) => e.name === name);
    if (!experiment) throw resourceDoesNotExist(`Could not find experiment with name '${name}'`);
    return experiment;
  }

  createRun(input: {
    experimentId: string;
    userId: string;
    runName?: string;
    startTime?: number;
    tags: Record<string, string>;
  }): RunRecord {
    const experiment = this.getExperiment(input.experimentId);
    if (experiment.lifecycle_stage !== 'active') {
      throw invalidParameter(`The experiment ${experiment.experiment_id} must be in the 'active' state.`);
    }
    const runId = randomUUID().replace(/-/g, '');
    const runName = input.runName ?? input.tags['mlflow.runName'] ?? `run-${runId.slice(0, 8)}`;
    const run: RunRecord = {
      run_id: runId,
      experiment_id: experiment.experiment_id,
      run_name: runName,
      user_id: input.userId,
      status: 'RUNNING',
      start_time: input.startTime ?? Date.now(),
      artifact_uri: `${experiment.artifact_location}/${runId}/artifacts`,
      lifecycle_stage: 'active',
      params: {},
      tags: { ...input.tags, 'mlflow.runName': runName, 'mlflow.user': input.userId },
      metrics: {},
    };
    this.runs.set(runId, run);
    return run;
  }

  getRun(runId: string): RunRecord {
    const run = this.runs.get(runId);
    if (!run) throw resourceDoesNotExist(`Run with id=${runId} not found`);
    return run;
  }

  /** Every run, in creation order. */
  allRuns(): RunRecord[] {
    return [...this.runs.values()];
  }

  /** A run that may still be written to: MLflow refuses writes to deleted runs. */
  activeRun(runId: string): RunRecord {
    const run = this.getRun(runId);
    if (run.lifecycle_stage !== 'active') {
      throw invalidParameter(
        `The run ${runId} must be in the 'active' state. Current state is ${run.lifecycle_stage}.`,
      );
    }
    return run;
  }

  logParam(run: RunRecord, key: string, value: string): void {
    const existing = run.params[key];
    if (existing !== undefined && existing !== value) {
      throw invalidParameter(
        `Changing param values is not allowed. Param with key='${key}' was already logged with ` +
          `value='${existing}' for run ID='${run.run_id}'. Attempted logging new value '${value}'.`,
      );
    }
    run.params[key] = value;
  }

  logMetric(run: RunRecord, metric: Metric): void {
    (run.metrics[metric.key] ??= []).push({ ...metric });
  }

  /** The latest value of each metric, as runs/get reports them. */
  latestMetrics(run: RunRecord): Metric[] {
    return Object.values(run.metrics).map((history) =>
      history.reduce((best, m) =>
        m.step > best.step ||
        (m.step === best.step && m.timestamp > best.timestamp) ||
        (m.step === best.step && m.timestamp === best.timestamp && m.value > best.value)
          ? m
          : best,
      ),
    );
  }

  snapshot(): TrackingSnapshot {
    return {
      nextExperimentId: this.nextExperimentId,
      experiments: [...this.experiments.values()],
      runs: [...this.runs.values()],
      loggedModels: [...this.loggedModels.values()],
    };
  }

  restore(snapshot: TrackingSnapshot): void {
    this.experiments = new Map(snapshot.experiments.map((e) => [e.experiment_id, e]));
    this.runs = new Map(snapshot.runs.map((r) => [r.run_id, r]));
    this.loggedModels = new Map((snapshot.loggedModels ?? []).map((m) => [m.model_id, m]));
    this.nextExperimentId = snapshot.nextExperimentId;
  }

  private insertExperiment(id: string, name: string, now: number, artifactLocation?: string): Experiment {
    const experiment: Experiment = {
      experiment_id: id,
      name,
      artifact_location: artifactLocation ?? `${this.artifactBase}/${id}`,
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
      tags: {},
    };
    this.experiments.set(id, experiment);
    return experiment;
  }
}

/** A run as runs/get, runs/create and runs/update render it. */
export function runInfoView(run: RunRecord): Record<string, unknown> {
  return {
    run_id: run.run_id,
    run_uuid: run.run_id,
    run_name: run.run_name,
    experiment_id: run.experiment_id,
    user_id: run.user_id,
    status: run.status,
    start_time: run.start_time,
    ...(run.end_time !== undefined ? { end_time: run.end_time } : {}),
    artifact_uri: run.artifact_uri,
    lifecycle_stage: run.lifecycle_stage,
  };
}

export function runView(store: TrackingStore, run: RunRecord): Record<string, unknown> {
  return {
    info: runInfoView(run),
    data: {
      metrics: store.latestMetrics(run),
      params: Object.entries(run.params).map(([key, value]) => ({ key, value })),
      tags: Object.entries(run.tags).map(([key, value]) => ({ key, value })),
    },
    inputs: {},
  };
}

export function experimentView(experiment: Experiment): Record<string, unknown> {
  return {
    ...experiment,
    tags: Object.entries(experiment.tags).map(([key, value]) => ({ key, value })),
  };
}

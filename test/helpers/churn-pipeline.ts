/**
 * The churn pipeline the tests run (the real jobs/train.py and score.py as spark_python_tasks in the
 * emulator), registered in Unity Catalog by the train task: one definition for every test that needs a
 * promoted model, with what each test varies as options.
 */
import type { PipelineDefinition } from '../../src/shared/pipeline-definition.js';

const POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };

export interface ChurnPipelineOptions {
  name: string;
  /** A Unity Catalog name, catalog.schema.model. */
  model: string;
  /** Train the deliberately weak candidate (it fails the gate). */
  weak?: boolean;
  threshold?: number;
  approval?: PipelineDefinition['approval'];
  /** The MLflow experiment (default `/Shared/<model>`). */
  experiment?: string;
  /** The runs are named `<runNamePrefix>-train` and `-score` (default: the pipeline's name). */
  runNamePrefix?: string;
}

export function churnPipeline(options: ChurnPipelineOptions): PipelineDefinition {
  const { name, model } = options;
  const task = (file: 'train' | 'score', parameters: string[]) => ({
    submit: {
      run_name: `${options.runNamePrefix ?? name}-${file}`,
      tasks: [{ task_key: file, spark_python_task: { python_file: `jobs/${file}.py`, parameters } }],
    },
    wait: POLL,
  });
  return {
    name,
    train: task('train', [
      '--data',
      'data/churn.csv',
      '--experiment',
      options.experiment ?? `/Shared/${model}`,
      '--register-model',
      model,
      ...(options.weak ? ['--weak'] : []),
    ]),
    evaluate: {
      metric: 'auc',
      source: 'mlflow',
      direction: 'higher',
      threshold: options.threshold ?? 0.6,
      mustBeatChampion: true,
    },
    ...(options.approval ? { approval: options.approval } : {}),
    register: { model, alias: 'champion', artifactPath: 'model' },
    score: task('score', ['--model-name', model, '--alias', 'champion', '--data', 'data/churn.csv']),
  };
}

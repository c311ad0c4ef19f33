/**
 * Response shapes of MLflow's REST API (`/api/2.0/mlflow/…`) that Lakeloop reads, as loose zod
 * schemas: the workspace MLflow on Databricks and open-source `mlflow server` both add fields over
 * time. proto3 JSON may carry int64 as strings and doubles as "NaN"/"Infinity", so numbers accept
 * both. Facts: shared/reference/databricks-api.md §5.
 */
import { z } from 'zod';

/** A double or int64 that may arrive as a JSON number or a proto3 JSON string. */
const numeric = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = value === 'NaN' ? Number.NaN : Number(value);
  if (value.trim() === '' || (Number.isNaN(parsed) && value !== 'NaN')) {
    ctx.addIssue({ code: 'custom', message: `not a number: ${JSON.stringify(value.slice(0, 40))}` });
    return z.NEVER;
  }
  return parsed;
});

const keyValue = z.looseObject({ key: z.string(), value: z.string().optional().default('') });

/** `tags: [{key, value}]` (absent or null: none) as a record. */
export const tagListSchema = z
  .array(keyValue)
  .nullish()
  .transform((tags) => Object.fromEntries((tags ?? []).map((t) => [t.key, t.value])));

export const metricSchema = z.looseObject({
  key: z.string(),
  value: numeric,
  timestamp: numeric.optional(),
  step: numeric.optional(),
});

export const runInfoSchema = z.looseObject({
  run_id: z.string(),
  experiment_id: z.string().optional(),
  run_name: z.string().optional(),
  status: z.string().optional(),
  start_time: numeric.optional(),
  end_time: numeric.optional(),
  artifact_uri: z.string().optional(),
  lifecycle_stage: z.string().optional(),
});

export const runSchema = z.looseObject({
  info: runInfoSchema,
  data: z
    .looseObject({
      metrics: z.array(metricSchema).optional().default([]),
      params: z.array(keyValue).optional().default([]),
      tags: z.array(keyValue).optional().default([]),
    })
    .optional()
    .default({ metrics: [], params: [], tags: [] }),
});

export const getRunResponseSchema = z.looseObject({ run: runSchema });
export const createRunResponseSchema = z.looseObject({ run: runSchema });

export const experimentSchema = z.looseObject({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.string().optional(),
});
export const getExperimentResponseSchema = z.looseObject({ experiment: experimentSchema });
export const createExperimentResponseSchema = z.looseObject({ experiment_id: z.string() });

export const metricHistoryResponseSchema = z.looseObject({
  metrics: z.array(metricSchema).optional().default([]),
  next_page_token: z.string().optional(),
});

export const fileInfoSchema = z.looseObject({
  path: z.string(),
  is_dir: z.boolean().optional().default(false),
  file_size: numeric.optional(),
});

export const listArtifactsResponseSchema = z.looseObject({
  root_uri: z.string().optional(),
  files: z.array(fileInfoSchema).optional().default([]),
  next_page_token: z.string().optional(),
});

/** One signed URL of credentials-for-read/-write; `type` is an enum name (or, in proto JSON, a number). */
export const credentialInfoSchema = z.looseObject({
  run_id: z.string().optional(),
  path: z.string(),
  signed_uri: z.string().min(1),
  headers: z
    .array(z.looseObject({ name: z.string().min(1), value: z.string().optional().default('') }))
    .nullish()
    .transform((headers) => headers ?? []),
  type: z
    .union([z.string(), z.number()])
    .optional()
    .transform((type) => (type === undefined ? 'UNKNOWN' : String(type))),
});

export const credentialsResponseSchema = z.looseObject({
  credential_infos: z.array(credentialInfoSchema).optional().default([]),
  next_page_token: z.string().optional(),
});

export const modelVersionSchema = z.looseObject({
  name: z.string(),
  version: z.union([z.string(), z.number()]).transform(String),
  source: z.string().optional().default(''),
  run_id: z.string().optional(),
  status: z.string().optional().default('READY'),
  description: z.string().optional(),
  current_stage: z.string().optional(),
  aliases: z
    .array(z.string())
    .nullish()
    .transform((aliases) => aliases ?? []),
  /** ModelVersion.tags (repeated ModelVersionTag {key, value}) in MLflow's model_registry.proto and UC's. */
  tags: tagListSchema,
});

export const registeredModelSchema = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  aliases: z
    .array(z.looseObject({ alias: z.string(), version: z.union([z.string(), z.number()]).transform(String) }))
    .nullish()
    .transform((aliases) => aliases ?? []),
});

export const registeredModelResponseSchema = z.looseObject({ registered_model: registeredModelSchema });
export const modelVersionResponseSchema = z.looseObject({ model_version: modelVersionSchema });
export const searchModelVersionsResponseSchema = z.looseObject({
  model_versions: z.array(modelVersionSchema).optional().default([]),
  next_page_token: z.string().optional(),
});

export const transitionStageResponseSchema = z.looseObject({ model_version_databricks: modelVersionSchema });

export const emptyResponseSchema = z.looseObject({});

export type MlflowRun = z.infer<typeof runSchema>;
export type MlflowMetric = z.infer<typeof metricSchema>;
export type MlflowFileInfo = z.infer<typeof fileInfoSchema>;
export type MlflowModelVersion = z.infer<typeof modelVersionSchema>;
export type MlflowRegisteredModel = z.infer<typeof registeredModelSchema>;
export type MlflowExperiment = z.infer<typeof experimentSchema>;

/**
 * Worker Deployment Versioning (LAKELOOP_DEPLOYMENT_NAME, LAKELOOP_BUILD_ID,
 * LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR): a worker that names its deployment and build polls only for
 * the workflows routed to that version, so a new build can roll out while runs wait on Databricks.
 * Neither name set: an unversioned worker, exactly as before. See the README's "Rolling out a new
 * worker build" and https://docs.temporal.io/worker-versioning.
 */
import { z } from 'zod';
import { describeIssues, readSetting, type Env } from './env.js';

export const DEPLOYMENT_ENV = {
  deploymentName: 'LAKELOOP_DEPLOYMENT_NAME',
  buildId: 'LAKELOOP_BUILD_ID',
  defaultVersioningBehavior: 'LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR',
} as const;

/**
 * LAKELOOP_DEFAULT_VERSIONING_BEHAVIOR: whether a run started by a versioned worker moves to the
 * Current build at its next workflow task (`auto-upgrade`) or finishes on the build it started on
 * (`pinned`).
 */
export type VersioningBehaviorSetting = 'auto-upgrade' | 'pinned';
export const VERSIONING_BEHAVIORS: readonly [VersioningBehaviorSetting, ...VersioningBehaviorSetting[]] = [
  'auto-upgrade',
  'pinned',
];

/**
 * The default behaviour of the workflows this worker starts. Auto-upgrade, because Lakeloop's runs
 * wait hours on Databricks: pinned runs would keep every old build's workers up until their last run
 * ends (a rollout would take as long as the longest run), while an auto-upgrading run moves to the
 * new Current version at its next workflow task. That is safe here because every change to Lakeloop's
 * workflow code already has to replay its recorded histories (src/workflows/run/patches.ts,
 * test/replay.test.ts). Choose `pinned` to ship a build whose workflow code is not
 * replay-compatible: runs started on the old build then finish on it, and its workers must stay up
 * until they have (`temporal worker deployment describe-version` shows when it is drained).
 */
export const DEFAULT_VERSIONING_BEHAVIOR: VersioningBehaviorSetting = 'auto-upgrade';

/**
 * The server's own limits (temporalio/temporal common/worker_versioning/worker_versioning.go,
 * ValidateDeploymentVersionFields, v1.32): neither field empty or starting with "__", the name without
 * "." or ":", each at most (limit.maxIDLength 1000 − 39) / 2 = 480 characters by default.
 */
const MAX_FIELD_LENGTH = 480;

const versionField = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `expected a ${what}`)
    .max(MAX_FIELD_LENGTH, `expected at most ${MAX_FIELD_LENGTH} characters (Temporal's limit)`)
    .refine((s) => !s.startsWith('__'), 'must not start with "__" (reserved by Temporal)');

const deploymentSchema = z
  .object({
    deploymentName: versionField('deployment name such as "lakeloop"')
      .refine(
        (s) => !s.includes('.') && !s.includes(':'),
        'must not contain "." or ":" (Temporal refuses them)',
      )
      .optional(),
    buildId: versionField('build id such as a release or image tag').optional(),
    defaultVersioningBehavior: z
      .string()
      .trim()
      .transform((s) => s.toLowerCase().replace('_', '-'))
      .pipe(z.enum(VERSIONING_BEHAVIORS, { message: `expected one of ${VERSIONING_BEHAVIORS.join(', ')}` }))
      .optional(),
  })
  .superRefine((s, ctx) => {
    const only = (set: 'deploymentName' | 'buildId', missing: 'deploymentName' | 'buildId') =>
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `required when ${DEPLOYMENT_ENV[set]} is set: a versioned worker needs both its deployment name and its build id (set neither for an unversioned worker)`,
      });
    if (s.deploymentName !== undefined && s.buildId === undefined) only('deploymentName', 'buildId');
    if (s.buildId !== undefined && s.deploymentName === undefined) only('buildId', 'deploymentName');
    if (
      s.defaultVersioningBehavior !== undefined &&
      s.deploymentName === undefined &&
      s.buildId === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultVersioningBehavior'],
        message: `only applies to a versioned worker: set ${DEPLOYMENT_ENV.deploymentName} and ${DEPLOYMENT_ENV.buildId} too, or unset it`,
      });
    }
  });

/** A versioned worker's deployment version and the behaviour of the workflows it starts. */
export interface WorkerDeploymentSettings {
  deploymentName: string;
  buildId: string;
  defaultVersioningBehavior: VersioningBehaviorSetting;
}

/** The deployment settings; undefined when neither name is set (an unversioned worker). */
export function loadDeploymentSettings(env: Env, problems: string[]): WorkerDeploymentSettings | undefined {
  const raw = Object.fromEntries(
    Object.entries(DEPLOYMENT_ENV).map(([field, variable]) => [field, readSetting(env, variable, problems)]),
  );
  const parsed = deploymentSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...describeIssues(parsed.error, DEPLOYMENT_ENV));
    return undefined;
  }
  const { deploymentName, buildId, defaultVersioningBehavior } = parsed.data;
  if (deploymentName === undefined || buildId === undefined) return undefined;
  return {
    deploymentName,
    buildId,
    defaultVersioningBehavior: defaultVersioningBehavior ?? DEFAULT_VERSIONING_BEHAVIOR,
  };
}

/** How logs and the README name a version: Temporal's canonical "deploymentName.buildId". */
export function deploymentVersionName(
  settings: Pick<WorkerDeploymentSettings, 'deploymentName' | 'buildId'>,
): string {
  return `${settings.deploymentName}.${settings.buildId}`;
}

/**
 * The persisted form of a workspace. Runs are stored with their phase and phase deadlines, so a
 * restored emulator resumes every run in flight where it was (RunEngine.resume). The emulated clock is
 * saved too: after a restart it continues from the saved instant plus the downtime, as a real
 * workspace keeps running while its API is unreachable.
 */
import type { EmulatedClock } from '../clock.js';
import { IdSequence } from '../ids.js';
import type { JobRecord } from '../jobs/job-store.js';
import type { RegistrySnapshot } from '../mlflow/registry-store.js';
import type { TrackingSnapshot } from '../mlflow/tracking-store.js';
import type { Destination } from '../notifications/destination-store.js';
import type { RunRecord } from '../runs/run-model.js';
import type { ScenarioRule } from '../tasks/scenario-rules.js';
import type { UnityCatalogSnapshot } from '../unity-catalog/uc-store.js';
import type { Workspace } from '../workspace.js';

export const SNAPSHOT_FORMAT = 'lakeloop-emulator-state';
export const SNAPSHOT_VERSION = 1;

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  savedAtMs: number;
  emulatedNow: number;
  timeScale: number;
  nextJobId: number;
  nextRunId: number;
  runsCreated: number;
  jobs: JobRecord[];
  runs: RunRecord[];
  deletedIdempotencyTokens: string[];
  destinations: Destination[];
  scenarios: ScenarioRule[];
  /** Optional, so state files written before the MLflow subset still load (with an empty MLflow). */
  mlflow?: { tracking: TrackingSnapshot; registry: RegistrySnapshot };
  /** Optional likewise: state files from before Unity Catalog load with a fresh metastore. */
  unityCatalog?: UnityCatalogSnapshot;
}

export function takeSnapshot(workspace: Workspace, clock: EmulatedClock): Snapshot {
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    savedAtMs: Date.now(),
    emulatedNow: clock.now(),
    timeScale: clock.scale,
    nextJobId: workspace.jobIds.peek(),
    nextRunId: workspace.runIds.peek(),
    runsCreated: workspace.runs.created,
    jobs: workspace.jobs.all(),
    runs: [...workspace.runs.values()],
    deletedIdempotencyTokens: workspace.runs.deletedTokens(),
    destinations: workspace.destinations.all(),
    scenarios: [...workspace.scenarios.list()],
    mlflow: { tracking: workspace.mlflowTracking.snapshot(), registry: workspace.mlflowRegistry.snapshot() },
    unityCatalog: workspace.unityCatalog.snapshot(),
  };
}

/** Where the emulated clock stands now, given a snapshot taken earlier. */
export function resumedEmulatedNow(snapshot: Snapshot, timeScale: number): number {
  return snapshot.emulatedNow + Math.max(0, Date.now() - snapshot.savedAtMs) * timeScale;
}

export function restoreSnapshot(workspace: Workspace, snapshot: Snapshot): void {
  workspace.clear();
  workspace.jobIds = new IdSequence(snapshot.nextJobId);
  workspace.runIds = new IdSequence(snapshot.nextRunId);
  for (const job of snapshot.jobs) workspace.jobs.put(job);
  for (const run of snapshot.runs) workspace.runs.add(run);
  workspace.runs.created = snapshot.runsCreated;
  for (const token of snapshot.deletedIdempotencyTokens) workspace.runs.markTokenDeleted(token);
  for (const destination of snapshot.destinations) workspace.destinations.put(destination);
  workspace.scenarios.replaceAll(snapshot.scenarios);
  if (snapshot.mlflow) {
    workspace.mlflowTracking.restore(snapshot.mlflow.tracking);
    workspace.mlflowRegistry.restore(snapshot.mlflow.registry);
  }
  if (snapshot.unityCatalog) workspace.unityCatalog.restore(snapshot.unityCatalog);
}

export function isSnapshot(value: unknown): value is Snapshot {
  const candidate = value as Partial<Snapshot> | null;
  return (
    candidate !== null &&
    typeof candidate === 'object' &&
    candidate.format === SNAPSHOT_FORMAT &&
    candidate.version === SNAPSHOT_VERSION &&
    Array.isArray(candidate.runs) &&
    Array.isArray(candidate.jobs)
  );
}

/**
 * The state of one emulated workspace: jobs, runs, notification destinations, scenario rules, the
 * MLflow tracking store and workspace model registry, Unity Catalog (catalogs, schemas, models), and
 * the id sequences. This is exactly what the state file persists; faults, stats and tokens are process
 * state and start fresh.
 */
import { FIRST_JOB_ID, FIRST_RUN_ID, IdSequence } from './ids.js';
import { JobStore } from './jobs/job-store.js';
import { RegistryStore } from './mlflow/registry-store.js';
import { TrackingStore } from './mlflow/tracking-store.js';
import { DestinationStore } from './notifications/destination-store.js';
import { RunStore } from './runs/run-store.js';
import { ScenarioRules } from './tasks/scenario-rules.js';
import { UnityCatalogStore } from './unity-catalog/uc-store.js';

export class Workspace {
  readonly jobs = new JobStore();
  readonly runs = new RunStore();
  readonly destinations = new DestinationStore();
  readonly scenarios = new ScenarioRules();
  /** MLflow experiments and runs; the artifact bytes live on disk (ArtifactStore), not here. */
  readonly mlflowTracking = new TrackingStore();
  readonly mlflowRegistry = new RegistryStore();
  /** Catalogs, schemas and Models in Unity Catalog; model files live on disk (ArtifactStore). */
  readonly unityCatalog: UnityCatalogStore;
  jobIds = new IdSequence(FIRST_JOB_ID);
  runIds = new IdSequence(FIRST_RUN_ID);

  /** `admin`: the metastore admin, who owns the catalogs a fresh metastore starts with. */
  constructor(admin: string) {
    this.unityCatalog = new UnityCatalogStore(admin);
  }

  /** Forget everything except the id sequences, which keep growing so no id is ever reused. */
  clear(): void {
    this.jobs.clear();
    this.runs.clear();
    this.destinations.clear();
    this.scenarios.clear();
    this.mlflowTracking.clear();
    this.mlflowRegistry.clear();
    this.unityCatalog.clear();
  }
}

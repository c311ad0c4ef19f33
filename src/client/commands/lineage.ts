/**
 * `lakeloop lineage <model>@<alias> | <model>/<version> | <pipeline-workflow-id> [--json]`: the
 * provenance chain of a model version (src/client/lineage/trace.ts). Reads Databricks with the CLI's own
 * credentials (the same DATABRICKS_* variables and LAKELOOP_MODEL_REGISTRY as the worker); without them
 * only a workflow id can be traced, and the Databricks links are listed as unresolved.
 */
import type { LakeloopConfig } from '../../config/index.js';
import { JobsClient } from '../../databricks/jobs.js';
import { createWorkspaceClient } from '../../databricks/workspace-client.js';
import { MlflowClient } from '../../mlflow/client.js';
import { parse, withClient } from '../cli-support.js';
import type { LakeloopClient } from '../connect.js';
import { formatLineage } from '../lineage/format.js';
import { RegistryReader } from '../lineage/registry-reader.js';
import { traceLineage, type LineageDeps } from '../lineage/trace.js';

/** What lineage reads with: Temporal always, Databricks when the configuration names a workspace. */
export function lineageDeps(lakeloop: LakeloopClient, config: LakeloopConfig): LineageDeps {
  const deps: LineageDeps = { temporal: lakeloop.client };
  if (config.databricks) {
    const http = createWorkspaceClient(config.databricks, {
      requestsPerSecond: 5,
      burst: 5,
      timeoutMs: 30_000,
    });
    deps.jobs = new JobsClient(http);
    deps.mlflow = new MlflowClient(http);
    deps.registry = new RegistryReader(http, config.worker.modelRegistry);
  }
  return deps;
}

export async function lineageCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean', default: false } }, 1);
  await withClient(async (lakeloop, config) => {
    const lineage = await traceLineage(lineageDeps(lakeloop, config), positionals[0]!);
    console.log(values.json ? JSON.stringify(lineage) : formatLineage(lineage));
  });
}

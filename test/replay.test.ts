/**
 * Replays every recorded history in test/histories/ against today's workflow code. A change that
 * would break workflows already running in production fails here: guard it with `patched()`.
 * Re-record with `npm run histories` only when a workflow's behaviour is meant to change for new runs.
 *
 * Subdirectories are frozen corpora that `npm run histories` never rewrites: histories recorded by
 * older code that running workflows may still have (before-exact-ids/: Databricks ids as numbers,
 * snapshots without the activity's verdict; before-approval-gate/: an approve signal sent before the
 * gate, which that code took; before-outcome-attributes/: pipelines from before they upserted
 * LakeloopDecision and LakeloopModelVersion). The workflow id is the file's base name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { InjectedSinks } from '@temporalio/worker';
import { lineageSinks } from '../src/lineage/openlineage/sinks.js';
import type { LineageEmitter } from '../src/lineage/openlineage/emitter.js';
import { workflowSpanSinks } from '../src/observability/tracing.js';
import type { LineageFact, LineageSinks } from '../src/shared/lineage-facts.js';
import { workflowInterceptorModules, workflowsPath } from '../src/workflows-path.js';
import { testWorkflowBundlePath } from './helpers/temporal.js';

const historiesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const files = readdirSync(historiesDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();

function loadHistory(file: string): unknown {
  return JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8'));
}

describe('replay of recorded histories', () => {
  test('there are recorded histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  // npm run histories records each workflow with the file's name as its id (child ids derive from it).
  test.each(files)('%s replays without non-determinism', async (file) => {
    await Worker.runReplayHistory(
      {
        workflowBundle: { codePath: testWorkflowBundlePath() },
        sinks: { ...workflowSpanSinks(undefined), ...lineageSinks(undefined) },
      },
      loadHistory(file),
      path.basename(file, '.json'),
    );
  });

  // Turning tracing on swaps in the bundle with OpenTelemetry's workflow interceptors: workflows that
  // started without them must replay with them (they add only headers, which replay does not compare).
  test('every history replays with the tracing bundle too', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: workflowsPath(),
      workflowInterceptorModules: workflowInterceptorModules(),
      logger: new DefaultLogger('WARN'),
    });
    for (const file of files) {
      await Worker.runReplayHistory(
        { workflowBundle: { code }, sinks: { ...workflowSpanSinks(undefined), ...lineageSinks(undefined) } },
        loadHistory(file),
        path.basename(file, '.json'),
      );
    }
  }, 120_000);

  // OpenLineage events go through a sink, not commands, so they change no history (the replays above
  // pass); and a replay must not emit them again. Replayed with the worker's own sink registration,
  // nothing is emitted; the same replay with callDuringReplay on does call the sink, so the
  // registration's callDuringReplay: false is what keeps a replayed workflow from emitting twice.
  test('a replay emits no OpenLineage event; the workflows do call the sink', async () => {
    const emitted: LineageFact[] = [];
    const recording = {
      emit: (fact: LineageFact) => void emitted.push(fact),
    } as unknown as LineageEmitter;
    const replayCalls: LineageFact[] = [];
    const duringReplay: InjectedSinks<LineageSinks> = {
      lakeloopLineage: { emit: { fn: (_info, fact) => void replayCalls.push(fact), callDuringReplay: true } },
    };
    const lineageFiles = files.filter((f) => /databricks-run|pipeline/.test(f));
    expect(lineageFiles.length).toBeGreaterThan(0);
    for (const file of lineageFiles) {
      for (const sinks of [lineageSinks(recording), duringReplay]) {
        await Worker.runReplayHistory(
          {
            workflowBundle: { codePath: testWorkflowBundlePath() },
            sinks: { ...workflowSpanSinks(undefined), ...sinks },
          },
          loadHistory(file),
          path.basename(file, '.json'),
        );
      }
    }
    expect(emitted).toEqual([]);
    expect(replayCalls.filter((f) => f.state === 'START').length).toBeGreaterThanOrEqual(lineageFiles.length);
  }, 120_000);

  test('the check fails on a history the code could not have produced', async () => {
    // Proves the replay test has teeth: an activity the workflow never schedules must be rejected.
    const history = loadHistory('health-check.json') as { events: Array<Record<string, any>> };
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes);
    scheduled!.activityTaskScheduledEventAttributes.activityType.name = 'someOtherActivity';
    await expect(
      Worker.runReplayHistory(
        {
          workflowBundle: { codePath: testWorkflowBundlePath() },
          sinks: { ...workflowSpanSinks(undefined), ...lineageSinks(undefined) },
        },
        history,
        'tampered',
      ),
    ).rejects.toThrow(/[Nn]ondetermin|DeterminismViolation|does not match/);
  });
});

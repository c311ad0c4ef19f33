/**
 * The worker end of the `lakeloopLineage` sink (workflow end: src/workflows/lineage.ts). Always
 * registered — the workflow bundle always calls it, and a sink the worker lacks is logged as an error on
 * every workflow task — and a no-op when lineage is off. `callDuringReplay: false`: a replay (a
 * workflow evicted from the cache, a worker restart) does not emit what was emitted already.
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { LineageSinks } from '../../shared/lineage-facts.js';
import type { LineageEmitter } from './emitter.js';

/** The `lakeloopLineage` sink for a worker's `sinks`: events to `emitter`, or none when it is undefined. */
export function lineageSinks(emitter: LineageEmitter | undefined): InjectedSinks<LineageSinks> {
  return {
    lakeloopLineage: {
      emit: {
        fn: (_info, fact) => emitter?.emit(fact),
        callDuringReplay: false,
      },
    },
  };
}

/** The demo's live view of a pipeline: each step's line as its state changes, the last ones included. */
import type { WorkflowHandle } from '@temporalio/client';
import type { PipelineResult, StepStatus } from '../../src/shared/pipeline-types.js';
import type { mlPipeline, PipelineStatusView } from '../../src/workflows/index.js';

export async function followPipeline(
  handle: WorkflowHandle<typeof mlPipeline>,
  print: (line: string) => void,
  intervalMs = 300,
): Promise<PipelineResult> {
  const seen = new Map<string, string>();
  const show = (steps: StepStatus[]) => {
    for (const s of steps) {
      const line = `${s.state}${s.detail ? ` — ${s.detail}` : ''}`;
      if (seen.get(s.name) !== line && s.state !== 'pending') print(`${s.name.padEnd(9)} ${line}`);
      seen.set(s.name, line);
    }
  };
  let done = false;
  const result = handle.result().finally(() => (done = true));
  result.catch(() => undefined);
  while (!done) {
    const view = await handle.query<PipelineStatusView>('status').catch(() => undefined);
    if (view) show(view.steps);
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
  // The last changes happen between the last look and the end: the result (or, for a pipeline that
  // failed, one more look) shows them, so the view never stops a step short.
  try {
    const final = await result;
    show(final.steps);
    return final;
  } catch (err) {
    const view = await handle.query<PipelineStatusView>('status').catch(() => undefined);
    if (view) show(view.steps);
    throw err;
  }
}

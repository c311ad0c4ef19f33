/**
 * Appends each event as one JSON line to a file (LAKELOOP_OPENLINEAGE_FILE_PATH), like the official
 * client's file transport in append mode (openlineage-python 1.54.0, transport/file.py `append`): a
 * log any OpenLineage consumer, or test/lineage/validate_openlineage.py, can read back. One write per
 * event, in the emitter's order (it delivers one event at a time).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunEvent } from './event.js';
import type { LineageTransport } from './transport.js';

export function fileTransport(file: string): LineageTransport {
  const target = path.resolve(file);
  let ready: Promise<unknown> | undefined;
  return {
    target,
    async send(event: RunEvent): Promise<void> {
      ready ??= mkdir(path.dirname(target), { recursive: true });
      await ready;
      await appendFile(target, `${JSON.stringify(event)}\n`, 'utf8');
    },
  };
}

/**
 * webhookReceivers: when each webhook receiver (inside a worker, or `npm run webhooks`) was last able to
 * receive. Every receiver signals a heartbeat every few seconds and a last one when it stops; a receiver
 * that starts (or regains its Temporal connection) reads them to know whether anybody listened while it
 * was away, and since when nobody did — the gap its catch-up covers (src/webhooks/liveness.ts).
 *
 * Kept in Temporal like everything else (no store of Lakeloop's own): one long-lived workflow per task
 * queue, fed by signal-with-start, that forgets receivers unseen for a day and continues as new before
 * its history grows long. No activities, timers or I/O.
 */
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

/** One receiver's heartbeat: who it is, since when it listens, and when it last could receive. */
export interface ReceiverHeartbeat {
  /** A receiver process (pid@host and a random suffix): a restarted receiver is a new one. */
  receiverId: string;
  /** When it started listening (ISO 8601, its clock). */
  since: string;
  /** When it last could receive: its Temporal connection worked and its HTTP server was up. */
  at: string;
  /** Its last heartbeat: it stopped listening at `at`. */
  stopped?: boolean;
}

/** The last heartbeat of each receiver, by id. */
export type ReceiverRecords = Record<string, Omit<ReceiverHeartbeat, 'receiverId'>>;

/** A receiver's heartbeat, sent every few seconds (signal-with-start) and once more when it stops. */
export const receiverHeartbeatSignal = defineSignal<[ReceiverHeartbeat]>('receiverHeartbeat');
/** The last heartbeat of each receiver known to this task queue. */
export const receiversQuery = defineQuery<ReceiverRecords>('receivers');

/** A receiver unseen this long is forgotten. */
const FORGET_AFTER_MS = 86_400_000;
/** Continue as new well before the history gets long (a heartbeat is one event). */
const MAX_HISTORY_EVENTS = 2_000;

/** The id of the webhookReceivers workflow of a task queue (one per queue). */
export function webhookReceiversWorkflowId(taskQueue: string): string {
  return `lakeloop-webhook-receivers-${taskQueue}`;
}

/**
 * The long-lived workflow holding the receivers' heartbeats of one task queue; continues as new with
 * the records it holds.
 */
export async function webhookReceivers(records: ReceiverRecords = {}): Promise<void> {
  setHandler(receiverHeartbeatSignal, ({ receiverId, ...heartbeat }) => {
    const known = records[receiverId];
    // Heartbeats can arrive out of order (a retried signal): keep the newest.
    if (!known || heartbeat.at >= known.at) records[receiverId] = heartbeat;
    const horizon = new Date(Date.now() - FORGET_AFTER_MS).toISOString();
    for (const [id, record] of Object.entries(records)) if (record.at < horizon) delete records[id];
  });
  setHandler(receiversQuery, () => records);
  await condition(
    () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS,
  );
  await continueAsNew<typeof webhookReceivers>(records);
}

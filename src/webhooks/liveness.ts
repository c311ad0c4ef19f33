/**
 * When receivers were able to receive, and the gaps when none was: each receiver heartbeats into the
 * webhookReceivers workflow (src/workflows/webhook-receivers.ts), and checks its own Temporal
 * connection with every heartbeat. A gap opens when a receiver starts and no other one was listening
 * (a deploy, a crash, the only replica removed), or when its own heartbeats failed (the Temporal
 * connection was lost: a notification it could not forward as a signal was answered 500 and is lost
 * once the sender stops retrying). Each gap is handed to the catch-up (src/webhooks/catch-up.ts).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import {
  receiverHeartbeatSignal,
  webhookReceivers,
  webhookReceiversWorkflowId,
  type ReceiverHeartbeat,
  type ReceiverRecords,
} from '../workflows/index.js';

export interface Gap {
  /** The last moment a receiver was known to listen; undefined: unknown (none ever said so). */
  downSince?: Date;
  /** When listening resumed. */
  upAt: Date;
}

/**
 * The gap that ends when this receiver started (`since`), from the other receivers' heartbeats: none
 * when one of them heartbeated after `since` without stopping (it was listening all along: it caught
 * up on any earlier gap itself); else since the last moment any of them was known to listen
 * (undefined when there are no records at all). A receiver killed without a last heartbeat looks
 * alive until it misses one, which is why the records are read again a heartbeat and a half later.
 */
export function gapBefore(records: ReceiverRecords, selfId: string, since: Date): Gap | undefined {
  let downSince: Date | undefined;
  for (const [id, record] of Object.entries(records)) {
    if (id === selfId) continue;
    const at = new Date(record.at);
    if (!record.stopped && at >= since) return undefined;
    if (!downSince || at > downSince) downSince = at;
  }
  return { ...(downSince ? { downSince } : {}), upAt: since };
}

/** Others whose last heartbeat is recent and not their last: alive, or killed a moment ago. */
function mayBeListening(records: ReceiverRecords, selfId: string, now: Date, toleranceMs: number): boolean {
  return Object.entries(records).some(
    ([id, r]) => id !== selfId && !r.stopped && now.getTime() - new Date(r.at).getTime() <= toleranceMs,
  );
}

export interface LivenessOptions {
  client: Client;
  taskQueue: string;
  /** How often to heartbeat (and check the Temporal connection). */
  intervalMs: number;
  /** A gap opened and closed: catch up on it. */
  onGap(gap: Gap): void;
  /** How long to wait for the other receivers' records at start. */
  readTimeoutMs?: number;
  warn?(message: string, fields: Record<string, unknown>): void;
}

export interface Liveness {
  receiverId: string;
  /** The last time this receiver could receive. */
  lastAble(): Date;
  /**
   * A delivery could not be forwarded (its signal failed: Temporal unreachable, most likely). A
   * heartbeat can miss an outage shorter than its interval; this cannot. The next heartbeat that
   * succeeds closes the gap.
   */
  deliveryFailed(): void;
  /** Sends the last heartbeat ("stopped") and stops. */
  stop(): Promise<void>;
}

/** Reads the others' records, reports the start gap (if any), and heartbeats until stopped. */
export function startLiveness(options: LivenessOptions): Liveness {
  const receiverId = `${process.pid}@${os.hostname()}-${randomBytes(3).toString('hex')}`;
  const since = new Date();
  const workflowId = webhookReceiversWorkflowId(options.taskQueue);
  const tolerance = options.intervalMs * 3;
  let lastAble = since;
  let failingSince: Date | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const heartbeat = (stoppedNow = false) =>
    options.client.workflow.signalWithStart(webhookReceivers, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [{}],
      signal: receiverHeartbeatSignal,
      signalArgs: [
        { receiverId, since: since.toISOString(), at: new Date().toISOString(), stopped: stoppedNow },
      ],
    });

  const beat = async () => {
    try {
      await heartbeat();
      if (failingSince) {
        // Its Temporal connection is back: deliveries in between were answered 500 and may be lost.
        options.onGap({ downSince: lastAble, upAt: new Date() });
        failingSince = undefined;
      }
      lastAble = new Date();
    } catch (err) {
      if (!failingSince) {
        failingSince = new Date();
        options.warn?.(
          'webhook receiver cannot reach Temporal: notifications now may be lost; catching up when it is back',
          {
            error: (err as Error).message,
          },
        );
      }
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void beat().finally(schedule), options.intervalMs);
    timer.unref();
  };

  const begin = async () => {
    const readTimeout = options.readTimeoutMs ?? 15_000;
    let records = await readRecords(options.client, workflowId, readTimeout);
    if (stopped) return;
    await beat();
    if (records && mayBeListening(records, receiverId, since, tolerance)) {
      // Alive, or killed without a last word: it is alive if it heartbeats again.
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs * 1.5).unref());
      if (stopped) return;
      records = (await readRecords(options.client, workflowId, readTimeout)) ?? records;
    }
    if (stopped) return;
    // Unknown records (no worker answered, no registry yet): a gap since we know not when.
    const gap = records ? gapBefore(records, receiverId, since) : { upAt: since };
    if (gap) options.onGap(gap);
    schedule();
  };
  void begin().catch((err: unknown) => {
    options.warn?.('webhook receiver liveness failed to start; catching up on everything waiting', {
      error: (err as Error).message,
    });
    options.onGap({ upAt: since });
    schedule();
  });

  return {
    receiverId,
    lastAble: () => lastAble,
    deliveryFailed() {
      failingSince ??= new Date();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await heartbeat(true).catch(() => undefined); // best effort: the others then see it stopped
    },
  };
}

/**
 * The registry's records, read from its history rather than by a query: a query needs a worker (and
 * waits out a dead worker's sticky queue, 10 s measured), while the history holds every heartbeat
 * even before a worker has seen it — the run's input (records carried over by continue-as-new), then
 * each heartbeat signal, newest wins. Undefined when there is no registry yet, or it cannot be read in
 * time. Payloads are decoded with the client's own converter and codecs (encrypted when keys are set).
 */
async function readRecords(
  client: Client,
  workflowId: string,
  timeoutMs: number,
): Promise<ReceiverRecords | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    // Unref'd, like every timer here: a receiver that is closing must not wait for it to exit.
    timer = setTimeout(() => resolve(undefined), timeoutMs).unref();
  });
  try {
    return await Promise.race([recordsFromHistory(client, workflowId).catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function recordsFromHistory(client: Client, workflowId: string): Promise<ReceiverRecords> {
  const { payloadConverter, payloadCodecs } = client.options.loadedDataConverter;
  const decode = async <T>(payload: Payload | null | undefined): Promise<T | undefined> => {
    if (!payload) return undefined;
    let payloads = [payload];
    for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
    return payloadConverter.fromPayload<T>(payloads[0]!);
  };
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const records: ReceiverRecords = {};
  for (const event of history.events ?? []) {
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) Object.assign(records, await decode<ReceiverRecords>(started.input?.payloads?.[0]));
    const signalled = event.workflowExecutionSignaledEventAttributes;
    if (signalled?.signalName !== receiverHeartbeatSignal.name) continue;
    const heartbeat = await decode<ReceiverHeartbeat>(signalled.input?.payloads?.[0]);
    if (!heartbeat) continue;
    const { receiverId, ...record } = heartbeat;
    const known = records[receiverId];
    if (!known || record.at >= known.at) records[receiverId] = record;
  }
  return records;
}

/**
 * Several webhook receivers behind one URL, as in production behind a load balancer: each replica is
 * the real receiver (src/webhooks/receiver.ts) with its real catch-up and liveness
 * (src/webhooks/catch-up.ts) on its own Temporal connection, and an HTTP front on one port
 * (scripts/lib/round-robin-front.ts) forwards each delivery to a live replica, round robin. With none live it answers 503, as a load balancer
 * with an empty pool does, and the sender retries (or gives up: the notification is lost).
 */
import { Client, Connection } from '@temporalio/client';
import { startRoundRobinFront } from '../../scripts/lib/round-robin-front.js';
import { startCatchingUp, type CatchingUp } from '../../src/webhooks/catch-up.js';
import {
  NOTIFICATIONS_PATH,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../src/webhooks/receiver.js';

interface Replica {
  name: string;
  receiver: WebhookReceiver;
  catchingUp: CatchingUp;
  connection: Connection;
}

export interface ReceiverPool {
  /** The one URL every notification goes to. */
  url: string;
  /** Starts a replica and adds it to the pool once it listens. */
  add(name: string): Promise<void>;
  /** Takes a replica out of the pool and stops it (its last heartbeat says so). */
  remove(name: string): Promise<void>;
  live(): string[];
  /** Every catch-up any replica made, with the replica's name. */
  catchUps(): Array<ReturnType<CatchingUp['reports']>[number] & { replica: string }>;
  close(): Promise<void>;
}

export async function startReceiverPool(options: {
  temporalAddress: string;
  taskQueue: string;
  username: string;
  password: string;
  heartbeatMs: number;
  catchUpRate: number;
}): Promise<ReceiverPool> {
  const replicas: Replica[] = [];
  const finished: Array<ReturnType<CatchingUp['reports']>[number] & { replica: string }> = [];
  // The load balancer: replicas join its rotation once they listen and leave it before they stop.
  const front = await startRoundRobinFront();

  const stopReplica = async (replica: Replica) => {
    await replica.receiver.close();
    await replica.catchingUp.stop();
    finished.push(...replica.catchingUp.reports().map((r) => ({ ...r, replica: replica.name })));
    await replica.connection.close();
  };

  return {
    url: `${front.origin}${NOTIFICATIONS_PATH}`,
    async add(name) {
      const connection = await Connection.connect({ address: options.temporalAddress });
      const client = new Client({ connection });
      const receiver = await startWebhookReceiver({
        client,
        host: '127.0.0.1',
        port: 0,
        username: options.username,
        password: options.password,
      });
      const catchingUp = startCatchingUp({
        client,
        taskQueue: options.taskQueue,
        ratePerSecond: options.catchUpRate,
        heartbeatMs: options.heartbeatMs,
      });
      replicas.push({ name, receiver, catchingUp, connection });
      front.add(name, receiver.url);
    },
    async remove(name) {
      const i = replicas.findIndex((r) => r.name === name);
      if (i < 0) throw new Error(`no replica ${name} in the pool`);
      const [replica] = replicas.splice(i, 1);
      front.remove(name);
      await stopReplica(replica!);
    },
    live: () => replicas.map((r) => r.name),
    catchUps: () => [
      ...finished,
      ...replicas.flatMap((r) => r.catchingUp.reports().map((c) => ({ ...c, replica: r.name }))),
    ],
    async close() {
      for (const replica of replicas.splice(0)) {
        front.remove(replica.name);
        await stopReplica(replica);
      }
      await front.close();
    },
  };
}

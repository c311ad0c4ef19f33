/**
 * Ports for the cluster stack, all below 32768. The Temporal server records each service's
 * membership/RPC port in PostgreSQL's `cluster_membership.rpc_port`, a SMALLINT: a port above 32767
 * fails with `pq: value "36415" is out of range for type smallint` and the server exits ("unable to
 * initialize membership heartbeats"), seen with v1.31.2 (/work/shared/reference/temporal-cluster.md).
 * Linux hands out bind-to-port-0 ports from 32768–60999 (net.ipv4.ip_local_port_range), so
 * processes.ts's freePort() can never give one that works here: pick from 20000–31999 and bind-test.
 */
import { isPortFree } from '../processes.js';

export const MAX_CLUSTER_PORT = 32767;
const LOW = 20000;
const HIGH = 31999;

/**
 * `count` distinct ports from 20000–31999 that nothing listens on right now (a random start, then
 * upwards, so two stacks starting together rarely probe the same ports). There is a small race until
 * the server binds them, as with any free-port chooser.
 */
export async function chooseLowPorts(count: number, avoid: number[] = []): Promise<number[]> {
  const chosen: number[] = [];
  const span = HIGH - LOW + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span && chosen.length < count; i++) {
    const port = LOW + ((start + i) % span);
    if (avoid.includes(port)) continue;
    if (await isPortFree(port)) chosen.push(port);
  }
  if (chosen.length < count) throw new Error(`fewer than ${count} free ports in ${LOW}–${HIGH}`);
  return chosen;
}

/**
 * A quick look at a local Temporal address before connecting: with nothing listening there the SDK
 * retries until its 10 s deadline and says only "Failed to connect before the deadline". On this
 * machine a refused TCP connection is a certain answer, so it is said at once, with what to do — and
 * when the address came from a local stack's settings file, that the file is stale. Remote addresses
 * are left to the SDK (TLS, proxies and slow networks make a bare TCP probe a poor judge).
 */
import { connect } from 'node:net';
import { stackTemporalAddress } from '../config/index.js';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port, timeout: 2_000 });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Why nothing will answer at `address`, when a local look says so; undefined otherwise. */
export async function silentLocalServer(address: string): Promise<string | undefined> {
  const colon = address.lastIndexOf(':');
  const [host, port] = [address.slice(0, colon), Number(address.slice(colon + 1))];
  const stack = stackTemporalAddress();
  const fromStack = stack !== undefined && stack.address === address;
  if (!fromStack && !LOOPBACK.test(host)) return undefined;
  if (await listening(host, port)) return undefined;
  return fromStack
    ? `the local stack at ${address} is not running: start it with \`npm run stack\` ` +
        `(${stack.file} is left from a stack that did not stop cleanly)`
    : `no Temporal server answers at ${address}: start the local stack with \`npm run stack\`, ` +
        'or point TEMPORAL_ADDRESS (or TEMPORAL_PROFILE) at your server';
}

/**
 * An HTTP front on one port that forwards each request to one of several targets, round robin — as a
 * load balancer in front of several webhook receivers does. The notification destination names the
 * front; which receiver a delivery reaches is then the front's choice, not the sender's.
 *
 * With no target it answers 503, as a load balancer with an empty pool does (the sender retries, or
 * gives up). A target that cannot be reached answers 502 for that request (the sender retries, and
 * round robin sends the retry elsewhere); taking a dead target out is the caller's job, as a load
 * balancer's health check would.
 *
 * Used by the receiver-replica pool of the chaos tests (test/helpers/receiver-pool.ts), the
 * cluster-workers test and the bench's multi-worker arm.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One forwarded request, for callers that check where deliveries went and what was answered. */
export interface ForwardRecord {
  target: string;
  /** The target's status, or 502 when it could not be reached. */
  status: number;
  requestBody: string;
  responseBody: string;
}

export interface RoundRobinFront {
  /** http://127.0.0.1:PORT — the request's path is kept when forwarding. */
  origin: string;
  /** Adds a target (an origin or any URL: only its host and port are used) to the rotation. */
  add(name: string, url: string): void;
  /** Takes a target out of the rotation; requests already forwarded to it finish on their own. */
  remove(name: string): void;
  targets(): string[];
  /** Requests forwarded per target name (answered or not), since the front started. */
  forwarded(): Record<string, number>;
  close(): Promise<void>;
}

export interface RoundRobinFrontOptions {
  /**
   * Called with each forwarded request and the answer; when given, bodies are buffered for it (keep
   * it off for large benches: the counts in forwarded() need no buffering).
   */
  onForward?(record: ForwardRecord): void;
}

interface Target {
  name: string;
  host: string;
  port: string;
}

/** The headers to pass on: the connection is the front's own (hop-by-hop headers stay behind). */
function forwardedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers;
  return rest;
}

export async function startRoundRobinFront(options: RoundRobinFrontOptions = {}): Promise<RoundRobinFront> {
  const targets: Target[] = [];
  const counts: Record<string, number> = {};
  let next = 0;
  const onForward = options.onForward;

  const server: Server = createServer((req, res) => {
    const target = targets.length > 0 ? targets[next++ % targets.length] : undefined;
    if (!target) {
      res.writeHead(503, { connection: 'close' }).end('no target in the pool');
      return;
    }
    counts[target.name] = (counts[target.name] ?? 0) + 1;
    const requestChunks: Buffer[] = [];
    const responseChunks: Buffer[] = [];
    if (onForward) req.on('data', (chunk: Buffer) => requestChunks.push(chunk));
    const record = (status: number) =>
      onForward?.({
        target: target.name,
        status,
        requestBody: Buffer.concat(requestChunks).toString('utf8'),
        responseBody: Buffer.concat(responseChunks).toString('utf8'),
      });
    const forward = request(
      {
        host: target.host,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: forwardedHeaders(req.headers),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (onForward) answer.on('data', (chunk: Buffer) => responseChunks.push(chunk));
        answer.on('end', () => record(answer.statusCode ?? 502));
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { connection: 'close' });
      res.end();
      record(502);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    origin: `http://127.0.0.1:${port}`,
    add(name, url) {
      if (targets.some((t) => t.name === name)) throw new Error(`target ${name} is already in the front`);
      const parsed = new URL(url);
      targets.push({ name, host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port });
    },
    remove(name) {
      const i = targets.findIndex((t) => t.name === name);
      if (i < 0) throw new Error(`no target ${name} in the front`);
      targets.splice(i, 1);
    },
    targets: () => targets.map((t) => t.name),
    forwarded: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

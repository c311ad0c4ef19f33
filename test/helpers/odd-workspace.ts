/**
 * A workspace that answers its discovery documents its own way: a loopback HTTP server that serves
 * chosen answers for chosen paths (a discovery document without `issuer`, host metadata naming
 * another path, an HTML page, a 404 …) and forwards every other request — token requests, API calls —
 * to a real emulator, unchanged. It records each request's method and path, never headers or bodies.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CannedAnswer {
  status?: number;
  /** An object is sent as JSON; a string as is, with `contentType`. */
  body: unknown;
  contentType?: string;
}

/** Answers by path; a function sees the server's own URL, for documents that name it. */
export type Routes = Record<string, CannedAnswer | ((selfUrl: string) => CannedAnswer)>;

export interface OddWorkspace {
  url: string;
  /** `GET /oidc/…`, `POST /oidc/v1/token`, … in arrival order. */
  requests: string[];
  /** Replaces the canned answers; paths not in `routes` go to the emulator. */
  answer(routes: Routes): void;
  /**
   * Forwards requests for `from` to the emulator's `to`, e.g. a token endpoint on another path.
   */
  alias(from: string, to: string): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

export async function startOddWorkspace(emulatorUrl: string, routes: Routes = {}): Promise<OddWorkspace> {
  let current = routes;
  const aliases = new Map<string, string>();
  const requests: string[] = [];
  let selfUrl = '';

  const forward = async (req: IncomingMessage, res: ServerResponse, path: string, query: string) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const method = req.method ?? 'GET';
    const upstream = await fetch(`${emulatorUrl}${aliases.get(path) ?? path}${query}`, {
      method,
      headers,
      ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') out[name] = value;
    });
    res.writeHead(upstream.status, out).end(body);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}`);
    const canned = current[url.pathname];
    if (canned) {
      const answer = typeof canned === 'function' ? canned(selfUrl) : canned;
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res
        .writeHead(answer.status ?? 200, {
          'content-type':
            answer.contentType ?? (typeof answer.body === 'string' ? 'text/plain' : 'application/json'),
        })
        .end(text);
      return;
    }
    forward(req, res, url.pathname, url.search).catch((error: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy error: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  selfUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: selfUrl,
    requests,
    answer: (routes) => {
      current = routes;
    },
    alias: (from, to) => void aliases.set(from, to),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

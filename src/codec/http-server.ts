/**
 * The codec server: the remote codec protocol the Temporal UI and CLI speak, so people allowed to see
 * payloads can read them decrypted while Temporal itself stores only ciphertext.
 *
 *   POST /codec/decode, /codec/encode   {"payloads": [...]} in and out (endpoint to configure: …/codec)
 *   GET|POST /codec/login                sign-in form for browsers (sets the session cookie)
 *   GET /healthz
 *
 * Order of checks on the codec routes: Origin (a browser on any other origin is refused outright, and
 * only the configured UI origin gets CORS headers) → preflight (unauthenticated, as browsers send it)
 * → bearer token or session cookie → body limit → JSON and schema → codec.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValueError, type PayloadCodec } from '@temporalio/common';
import { readBody, RequestTooLarge } from '../http/request-body.js';
import {
  bearerTokenMatches,
  issueSession,
  SESSION_COOKIE,
  sessionCookieValid,
  tokenMatches,
} from './codec-auth.js';
import { payloadFromJson, payloadsBodySchema, payloadToJson } from './payload-json.js';

export const CODEC_BASE_PATH = '/codec';
const LOGIN_PATH = `${CODEC_BASE_PATH}/login`;
const OPERATIONS: Record<string, 'encode' | 'decode'> = {
  [`${CODEC_BASE_PATH}/encode`]: 'encode',
  [`${CODEC_BASE_PATH}/decode`]: 'decode',
};
/** What the Temporal UI sends: a JSON body, the namespace, and (when told to) an access token. */
const ALLOWED_HEADERS = 'content-type, authorization, x-namespace';

export interface CodecServerOptions {
  codec: PayloadCodec;
  authToken: string;
  /** Browser origins allowed to call (the Temporal UI's); every other origin is refused. */
  corsOrigins: readonly string[];
  host: string;
  port: number;
  /** Temporal caps a payload at 2 MB by default; a request carries the payloads of one event or so. */
  bodyLimitBytes?: number;
  sessionTtlSeconds?: number;
  onError?(error: unknown): void;
}

export interface CodecServer {
  /** The endpoint to give the UI or CLI (`--codec-endpoint`): the base the protocol appends /decode to. */
  endpoint: string;
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function replyHtml(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
    ...headers,
  });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Lakeloop codec server</title></head>
<body><h1>Lakeloop codec server</h1><p>${message}</p>
<form method="post" action="${LOGIN_PATH}"><label>Codec token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></body></html>`);
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const bodyLimit = options.bodyLimitBytes ?? 8 * 1024 * 1024;
  const sessionTtlSeconds = options.sessionTtlSeconds ?? 12 * 3600;
  const allowedOrigins = new Set(options.corsOrigins);

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET') {
      return replyHtml(res, 200, 'Sign in so the Temporal UI in this browser can show decrypted payloads.');
    }
    if (req.method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
    const form = new URLSearchParams((await readBody(req, 4096)).toString('utf8'));
    if (!tokenMatches(form.get('token') ?? '', options.authToken)) {
      return replyHtml(res, 401, 'That is not the codec token. Try again.');
    }
    const secure = req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
    const cookie =
      `${SESSION_COOKIE}=${issueSession(options.authToken, sessionTtlSeconds)}; Path=${CODEC_BASE_PATH}; ` +
      `Max-Age=${sessionTtlSeconds}; HttpOnly; SameSite=Lax${secure}`;
    return replyHtml(
      res,
      200,
      `Signed in for ${Math.round(sessionTtlSeconds / 3600)} hours. You can close this tab and reload the Temporal UI.`,
      { 'set-cookie': cookie },
    );
  }

  async function codecRequest(
    operation: 'encode' | 'decode',
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    res.setHeader('vary', 'Origin');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      // Refusing here, not only leaving out CORS headers, keeps a page elsewhere from making a signed-in
      // browser decode on its behalf even though it could not read the answer.
      if (!allowedOrigins.has(origin)) return reply(res, 403, { error: 'origin not allowed' });
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
    const authorized =
      bearerTokenMatches(req.headers.authorization, options.authToken) ||
      sessionCookieValid(req.headers.cookie, options.authToken);
    if (!authorized) {
      res.setHeader('www-authenticate', 'Bearer realm="lakeloop-codec"');
      return reply(res, 401, {
        error: `unauthorized: send "Authorization: Bearer <token>" or sign in at ${LOGIN_PATH}`,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse((await readBody(req, bodyLimit)).toString('utf8'));
    } catch (err) {
      if (err instanceof RequestTooLarge) throw err;
      return reply(res, 400, { error: 'body is not JSON' });
    }
    const parsed = payloadsBodySchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply(res, 400, {
        error: `invalid body: ${issue?.path.join('.') || 'body'}: ${issue?.message}`,
      });
    }
    try {
      const payloads = await options.codec[operation](parsed.data.payloads.map(payloadFromJson));
      return reply(res, 200, { payloads: payloads.map(payloadToJson) });
    } catch (err) {
      // Codec errors name a key id or a failed check, never key material: safe to return.
      if (err instanceof ValueError) return reply(res, 400, { error: err.message });
      throw err;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz' && req.method === 'GET') return reply(res, 200, { status: 'ok' });
    if (path === LOGIN_PATH) return login(req, res);
    const operation = OPERATIONS[path];
    if (!operation) return reply(res, 404, { error: 'not found' });
    return codecRequest(operation, req, res);
  }

  const server: Server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof RequestTooLarge) {
        res.setHeader('connection', 'close');
        return reply(res, 413, { error: err.message });
      }
      options.onError?.(err);
      reply(res, 500, { error: 'internal error' });
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    endpoint: `http://${host}:${port}${CODEC_BASE_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

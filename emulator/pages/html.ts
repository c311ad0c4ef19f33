/**
 * Server-rendered HTML with escaping by default. Run names, task keys, parameters, outputs and logs
 * are whatever clients sent or tasks printed, so every interpolated value is escaped unless it is
 * already a `SafeHtml` built by this module. No external assets and no framework: one document, its
 * CSS inline, and a Content-Security-Policy that allows no script unless a page names its own.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ApiResponse } from '../http/responses.js';

/** Markup that is already safe to emit: only `html` and `document` make these. */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Interpolated = SafeHtml | string | number | boolean | null | undefined | readonly Interpolated[];

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content and for quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(value: Interpolated): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** A tagged template: the literal parts are markup, every `${value}` is escaped (arrays joined). */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
body { margin: 0; color: #1b1f24; background: #f6f7f9; }
header { background: #1b3139; color: #fff; padding: 10px 24px; font-size: 14px; }
header a { color: #fff; }
main { padding: 16px 24px 48px; max-width: 1200px; }
h1 { font-size: 22px; margin: 8px 0 4px; word-break: break-word; }
h2 { font-size: 17px; margin: 28px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; word-break: break-word; }
.sub { color: #5a6470; margin: 0 0 12px; }
table { border-collapse: collapse; background: #fff; font-size: 14px; }
th, td { border: 1px solid #dde1e6; padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: #eef0f3; font-weight: 600; }
table.facts th { width: 180px; }
pre { background: #fff; border: 1px solid #dde1e6; padding: 8px 10px; margin: 4px 0 10px;
      max-height: 420px; overflow: auto; white-space: pre-wrap; word-break: break-word; font-size: 13px; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 13px;
         background: #e4e7eb; }
.state.good { background: #d6f2df; color: #12622e; }
.state.bad { background: #fbdada; color: #8a1414; }
.state.active { background: #dbe9fb; color: #164a8a; }
.note { color: #5a6470; font-size: 13px; }
section.task { border-top: 1px solid #dde1e6; margin-top: 12px; }
`;

export interface DocumentOptions {
  title: string;
  body: SafeHtml;
  /** Reload every N seconds (a run still going); a meta refresh needs no script. */
  refreshSeconds?: number;
  /** One inline script, allowed by its hash in the Content-Security-Policy. */
  script?: string;
}

export interface HtmlDocument {
  markup: string;
  /** The Content-Security-Policy this document needs: no script, or only its own inline one. */
  contentSecurityPolicy: string;
}

export function document(options: DocumentOptions): HtmlDocument {
  const refresh =
    options.refreshSeconds !== undefined
      ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />`
      : '';
  const script = options.script !== undefined ? new SafeHtml(`<script>${options.script}</script>`) : '';
  const markup = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${refresh}
        <title>${options.title}</title>
        <style>
          ${new SafeHtml(STYLE)}
        </style>
        ${script}
      </head>
      <body>
        <header>Databricks workspace emulator · <a href="/">runs</a></header>
        <main>${options.body}</main>
      </body>
    </html> `.text;
  const scriptSource =
    options.script !== undefined
      ? `'sha256-${createHash('sha256').update(options.script).digest('base64')}'`
      : "'none'";
  return {
    markup,
    contentSecurityPolicy: `default-src 'none'; style-src 'unsafe-inline'; script-src ${scriptSource}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}

/** An HTML answer for the server to send (through the same path as artifact downloads). */
export function htmlResponse(status: number, page: HtmlDocument): ApiResponse {
  const bytes = Buffer.from(page.markup, 'utf8');
  return {
    status,
    headers: {
      'content-security-policy': page.contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    },
    raw: { stream: Readable.from([bytes]), size: bytes.length, contentType: 'text/html; charset=utf-8' },
  };
}

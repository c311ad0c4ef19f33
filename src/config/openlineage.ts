/**
 * OpenLineage run events (src/lineage/openlineage/): off unless asked for. Sent to one HTTP endpoint
 * (an OpenLineage server such as Marquez) or appended to one file as JSON lines.
 *
 *   LAKELOOP_OPENLINEAGE_TRANSPORT  http | file | off; unset: http when a URL is set, file when a path
 *                                   is set, else off
 *   LAKELOOP_OPENLINEAGE_URL        the server, e.g. http://marquez:5000
 *   LAKELOOP_OPENLINEAGE_ENDPOINT   resolved against the URL; default api/v1/lineage (the official
 *                                   client's default: openlineage-python transport/http.py HttpConfig)
 *   LAKELOOP_OPENLINEAGE_API_KEY    optional bearer key (or LAKELOOP_OPENLINEAGE_API_KEY_FILE)
 *   LAKELOOP_OPENLINEAGE_FILE_PATH  the JSON-lines file for the file transport
 *   LAKELOOP_OPENLINEAGE_NAMESPACE  the job namespace; default "lakeloop"
 */
import { z } from 'zod';
import { describeIssues, readSetting, type Env } from './env.js';

export const OPENLINEAGE_ENV = {
  transport: 'LAKELOOP_OPENLINEAGE_TRANSPORT',
  url: 'LAKELOOP_OPENLINEAGE_URL',
  endpoint: 'LAKELOOP_OPENLINEAGE_ENDPOINT',
  apiKey: 'LAKELOOP_OPENLINEAGE_API_KEY',
  filePath: 'LAKELOOP_OPENLINEAGE_FILE_PATH',
  namespace: 'LAKELOOP_OPENLINEAGE_NAMESPACE',
} as const;

/** Every variable above, with the key's _FILE twin. */
export const OPENLINEAGE_ENV_NAMES: readonly string[] = [
  ...Object.values(OPENLINEAGE_ENV),
  `${OPENLINEAGE_ENV.apiKey}_FILE`,
];

export const DEFAULT_OPENLINEAGE_NAMESPACE = 'lakeloop';

/** Where OpenLineage events go, validated (LAKELOOP_OPENLINEAGE_*): nowhere, an HTTP endpoint or a file. */
export type OpenLineageSettings =
  | { transport: 'off' }
  | { transport: 'http'; namespace: string; url: string; endpoint?: string; apiKey?: string }
  | { transport: 'file'; namespace: string; filePath: string };

const schema = z.object({
  transport: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['http', 'file', 'off'], { message: 'expected http, file or off' }))
    .optional(),
  url: z
    .string()
    .refine((s) => {
      try {
        return ['http:', 'https:'].includes(new URL(s).protocol);
      } catch {
        return false;
      }
    }, 'expected an http:// or https:// URL of the OpenLineage server, e.g. http://marquez:5000')
    .optional(),
  endpoint: z.string().min(1).optional(),
  apiKey: z.string().min(1).optional(),
  filePath: z.string().min(1).optional(),
  namespace: z
    .string()
    .min(1, 'expected a namespace name')
    .max(255, 'expected at most 255 characters')
    .default(DEFAULT_OPENLINEAGE_NAMESPACE),
});

export function loadOpenLineageSettings(env: Env, problems: string[]): OpenLineageSettings {
  const raw = Object.fromEntries(
    Object.entries(OPENLINEAGE_ENV).map(([field, variable]) => [field, readSetting(env, variable, problems)]),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...describeIssues(parsed.error, OPENLINEAGE_ENV));
    return { transport: 'off' };
  }
  const s = parsed.data;
  if (s.transport === undefined && s.url !== undefined && s.filePath !== undefined) {
    problems.push(
      `${OPENLINEAGE_ENV.transport}: required when both ${OPENLINEAGE_ENV.url} and ${OPENLINEAGE_ENV.filePath} are set (http or file)`,
    );
    return { transport: 'off' };
  }
  const transport = s.transport ?? (s.url ? 'http' : s.filePath ? 'file' : 'off');
  if (transport === 'off') return { transport: 'off' };
  if (transport === 'http') {
    if (!s.url) {
      problems.push(
        `${OPENLINEAGE_ENV.url}: required when ${OPENLINEAGE_ENV.transport}=http, e.g. http://marquez:5000`,
      );
      return { transport: 'off' };
    }
    if (s.endpoint !== undefined) {
      try {
        new URL(s.endpoint, s.url);
      } catch {
        problems.push(`${OPENLINEAGE_ENV.endpoint}: not a path that resolves against ${OPENLINEAGE_ENV.url}`);
        return { transport: 'off' };
      }
    }
    return {
      transport,
      namespace: s.namespace,
      url: s.url,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(s.apiKey ? { apiKey: s.apiKey } : {}),
    };
  }
  if (!s.filePath) {
    problems.push(
      `${OPENLINEAGE_ENV.filePath}: required when ${OPENLINEAGE_ENV.transport}=file (the JSON-lines file events are appended to)`,
    );
    return { transport: 'off' };
  }
  return { transport, namespace: s.namespace, filePath: s.filePath };
}

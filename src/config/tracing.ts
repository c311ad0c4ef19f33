/**
 * OpenTelemetry tracing settings, from the standard OTEL_* variables so an existing collector set-up
 * works unchanged. Tracing is off unless those variables ask for it: exporting spans is an
 * operational choice, and a worker should not try to reach localhost:4318 just because nobody said
 * otherwise (the OTel default).
 *
 * On when OTEL_TRACES_EXPORTER=otlp, or when an OTLP endpoint is set and OTEL_TRACES_EXPORTER is unset;
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none always win. Variables the OTel SDK reads itself
 * (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
 * OTEL_BSP_*) pass straight through to it.
 */
import { z } from 'zod';
import { describeIssues, readSetting, type Env } from './env.js';

export const TRACING_ENV = {
  sdkDisabled: 'OTEL_SDK_DISABLED',
  tracesExporter: 'OTEL_TRACES_EXPORTER',
  endpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  tracesEndpoint: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  protocol: 'OTEL_EXPORTER_OTLP_PROTOCOL',
  tracesProtocol: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  serviceName: 'OTEL_SERVICE_NAME',
} as const;

/** Read by the OTel SDK itself; listed so deployment checks know them. */
export const OTEL_SDK_ENV = [
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
] as const;

export type TracingSettings =
  | { enabled: false }
  | {
      enabled: true;
      /** The full OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
      tracesUrl: string;
      /** OTEL_SERVICE_NAME; unset: each process names itself (lakeloop-worker, lakeloop-cli…). */
      serviceName?: string;
    };

/** The OTel default collector address (OTLP over HTTP). */
export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';

const httpUrl = z.string().refine((s) => {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL of the collector, e.g. http://otel-collector:4318');

// @opentelemetry/exporter-trace-otlp-http always sends OTLP/JSON. A collector's OTLP/HTTP receiver
// (port 4318) takes JSON and protobuf alike, so http/protobuf (the spec default, often set explicitly)
// works; gRPC is a different port and wire format this exporter cannot speak.
const protocol = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(
    z.enum(['http/json', 'http/protobuf'], {
      message:
        'expected http/json or http/protobuf: Lakeloop exports OTLP over HTTP (JSON), so point the endpoint ' +
        'at the collector’s OTLP/HTTP port (usually 4318), not gRPC (4317)',
    }),
  );

const tracingSchema = z.object({
  // The spec: only "true" (any case) disables; anything else, including empty, does not.
  sdkDisabled: z
    .string()
    .optional()
    .transform((s) => s?.toLowerCase() === 'true'),
  tracesExporter: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(
      z.enum(['otlp', 'none'], {
        message: 'expected otlp or none (Lakeloop exports traces over OTLP/HTTP only)',
      }),
    )
    .optional(),
  endpoint: httpUrl.optional(),
  tracesEndpoint: httpUrl.optional(),
  protocol: protocol.optional(),
  tracesProtocol: protocol.optional(),
  serviceName: z.string().min(1).max(255).optional(),
});

/** OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: the spec appends the signal's path to it. */
function tracesUrlFromBase(base: string): string {
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

export function loadTracingSettings(env: Env, problems: string[]): TracingSettings {
  const raw = Object.fromEntries(
    Object.entries(TRACING_ENV).map(([field, variable]) => [field, readSetting(env, variable, problems)]),
  );
  const parsed = tracingSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...describeIssues(parsed.error, TRACING_ENV));
    return { enabled: false };
  }
  const settings = parsed.data;
  if (settings.sdkDisabled || settings.tracesExporter === 'none') return { enabled: false };
  const explicitUrl =
    settings.tracesEndpoint ?? (settings.endpoint ? tracesUrlFromBase(settings.endpoint) : undefined);
  if (settings.tracesExporter === undefined && explicitUrl === undefined) return { enabled: false };
  return {
    enabled: true,
    tracesUrl: explicitUrl ?? DEFAULT_OTLP_TRACES_URL,
    ...(settings.serviceName ? { serviceName: settings.serviceName } : {}),
  };
}

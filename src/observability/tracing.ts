/**
 * OpenTelemetry tracing, off unless the OTEL_* variables turn it on (src/config/tracing.ts).
 *
 * One trace follows a run: the client's StartWorkflow span (OpenTelemetryWorkflowClientInterceptor)
 * travels in the workflow's headers to the workflow span (workflow interceptors, bundled with the
 * workflow code), on to each activity (OpenTelemetryActivityInboundInterceptor) and down to every
 * Databricks request (src/databricks/http.ts). Workflow spans are made inside the sandbox and leave it
 * through the `exporter` sink. Everything is exported in batches over OTLP/HTTP.
 *
 * Temporal's v1 interceptor package (@temporalio/interceptors-opentelemetry, the SDK's own version) is
 * used on purpose: the v2 package writes histories v1 cannot replay, and the other way round.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  context,
  diag,
  DiagLogLevel,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type ContextManager,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { TracingSettings } from '../config/tracing.js';
import { lakeloopVersion } from '../shared/version.js';

export interface Tracing {
  readonly resource: Resource;
  readonly spanProcessor: SpanProcessor;
  /** Exports what is buffered, then uninstalls the global tracer provider, propagator and context. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** Names the process (service.name `lakeloop-<component>`) when OTEL_SERVICE_NAME is unset. */
  component: 'worker' | 'cli' | 'webhooks';
  /** Where export failures are reported; the OTel SDK is silent otherwise. */
  warn?(message: string): void;
  /** Replaces the OTLP exporter (tests that inspect spans in memory). */
  spanExporter?: SpanExporter;
}

/**
 * OTel's context for the current async call chain, so a Databricks request made inside an activity
 * finds the activity's span as its parent. (What @opentelemetry/context-async-hooks provides; a few
 * lines here instead of one more dependency.)
 */
class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (self: unknown, args: unknown[]): unknown =>
      this.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(self, args));
    return function (this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

let active: Tracing | undefined;

/**
 * Installs the process's tracer provider when tracing is on; returns undefined (and installs
 * nothing, so every span is @opentelemetry/api's no-op) when it is off.
 */
export function startTracing(settings: TracingSettings, options: StartTracingOptions): Tracing | undefined {
  if (!settings.enabled) return undefined;
  if (active) throw new Error('tracing is already started in this process');

  if (options.warn) {
    const warn = options.warn;
    const silent = () => undefined;
    diag.setLogger(
      {
        error: (message) => warn(`OpenTelemetry: ${message}`),
        warn: (message) => warn(`OpenTelemetry: ${message}`),
        info: silent,
        debug: silent,
        verbose: silent,
      },
      DiagLogLevel.WARN,
    );
  }

  // Precedence as the spec orders it: our defaults < OTEL_RESOURCE_ATTRIBUTES < OTEL_SERVICE_NAME.
  const resource = Resource.default()
    .merge(
      new Resource({
        [ATTR_SERVICE_NAME]: `lakeloop-${options.component}`,
        [ATTR_SERVICE_VERSION]: lakeloopVersion(),
      }),
    )
    .merge(envDetectorSync.detect())
    .merge(settings.serviceName ? new Resource({ [ATTR_SERVICE_NAME]: settings.serviceName }) : null);

  // Headers, timeout and compression come from OTEL_EXPORTER_OTLP_* in the exporter itself; the URL is
  // the validated one (it may come from the local stack's settings file, which the exporter never reads).
  const exporter = options.spanExporter ?? new OTLPTraceExporter({ url: settings.tracesUrl });
  const spanProcessor = new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  const contextManager = new AsyncLocalStorageContextManager();
  provider.register({ contextManager, propagator: new W3CTraceContextPropagator() });

  const tracing: Tracing = {
    resource,
    spanProcessor,
    async shutdown() {
      if (active !== tracing) return;
      active = undefined;
      trace.disable();
      propagation.disable();
      context.disable();
      try {
        await provider.shutdown();
      } finally {
        diag.disable();
      }
    },
  };
  active = tracing;
  return tracing;
}

/** Whether this process has a real tracer provider installed (otherwise spans are no-ops). */
export function tracingActive(): boolean {
  return active !== undefined;
}

/** Interceptors for every Temporal Client: a started workflow carries the caller's trace. */
export function clientTracingInterceptors(tracing: Tracing | undefined): ClientInterceptors | undefined {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined;
}

/** Activity interceptors: each activity runs in a span whose parent is the workflow's. */
export function workerTracingInterceptors(tracing: Tracing | undefined): WorkerInterceptors {
  if (!tracing) return {};
  return {
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
  };
}

/**
 * The sink the bundled workflow interceptors export their spans through. Always registered, since the
 * bundle always contains those interceptors: with tracing off it drops the spans (an unregistered sink
 * would log an error on every workflow task).
 *
 * Temporal's exporter copies the whole WorkflowInfo onto every workflow span — memo, search attributes
 * and the previous run's result included, already decoded — so only identifiers are passed on.
 */
export function workflowSpanSinks(tracing: Tracing | undefined): InjectedSinks<OpenTelemetrySinks> {
  if (!tracing) return { exporter: { export: { fn: () => undefined } } };
  const exporter = makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  return {
    exporter: {
      export: {
        fn: (info, spans) => exporter.export.fn(workflowIdentifiers(info), spans),
      },
    },
  };
}

function workflowIdentifiers(info: WorkflowInfo): WorkflowInfo {
  const { workflowId, runId, workflowType, taskQueue, namespace } = info;
  // The exporter only Object.assign()s these onto span attributes; nothing else of WorkflowInfo is read.
  return { workflowId, runId, workflowType, taskQueue, namespace } as WorkflowInfo;
}

// Workflow interceptors bundled with the workflow code (never imported by index.ts): Temporal's v1
// OpenTelemetry interceptors. They always run, tracing on or off, so one bundle serves both: they only
// add a trace header to the commands they wrap (headers are not compared on replay) and create spans,
// which the worker's `exporter` sink exports or drops. They draw span ids from the sandbox's seeded
// Math.random; no Lakeloop workflow uses Math.random or uuid4(), so nothing a workflow decides shifts.
export { interceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors.js';

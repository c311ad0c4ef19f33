/**
 * Preloaded into each worker process the bench starts with --workers (`node --import` of its compiled
 * form): the same observation as the in-process arm's (bench/observer.ts) — the receive time of the
 * first terminal runs/get response per run — made where the requests are made, in the worker. The
 * observations are written as JSON to LAKELOOP_BENCH_OBSERVED_FILE when the process exits (after the
 * bench's SIGTERM and the worker's drain), for the bench to read.
 */
import { writeFileSync } from 'node:fs';
import { TerminalObserver } from './observer.js';

const host = process.env.DATABRICKS_HOST;
const file = process.env.LAKELOOP_BENCH_OBSERVED_FILE;
if (host && file) {
  const observer = new TerminalObserver();
  observer.install(host.replace(/\/$/, ''));
  process.on('exit', () => writeFileSync(file, JSON.stringify([...observer.observedAt])));
}

/**
 * The suite-wide secrets sweep (issue #7), run by the global teardown of every Jest pass while its
 * dev server is still up. Every secret in the run's ledger (test/helpers/secrets-ledger.ts: tokens
 * the emulators and the IdP issued, the PATs, client secrets, passwords and keys they were configured
 * with) is searched for in
 * - the full history of every workflow execution in every namespace of the dev server — every run
 *   the pass started, schedules' own workflows included — payloads decoded recursively;
 * - everything the worker, CLI, receiver and emulator processes and the in-process runtime logger
 *   printed (the ledger's output files);
 * - the committed benchmark results (bench/results/).
 * A leak fails the run, named by where it is, the secret's label and a fingerprint, never the secret.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';
import { ledgerOutputFiles, readLedgerSecrets } from '../helpers/secrets-ledger.js';
import {
  MIN_SECRET_LENGTH,
  SecretMatcher,
  fingerprint,
  searchableHistoryText,
  type Secret,
} from '../helpers/secrets-sweep.js';

/**
 * Credentials of `npm run bench` (bench/lakeloop.ts, bench/run.ts): the committed results must not
 * contain them either. test/unit/secrets-sweep.test.ts checks they still are the bench's values.
 */
export const BENCH_SECRETS: readonly Secret[] = [
  { label: 'the benchmark PAT', value: 'dapi-bench' },
  { label: 'the benchmark webhook password', value: 'bench-webhook-password' },
];

export const BENCH_RESULTS_DIR = path.join(projectRoot, 'bench', 'results');

/** Histories fetched at once: enough to hide round trips, few enough for one dev server on 2 cores. */
const HISTORY_FETCHES_IN_FLIGHT = 8;

export interface SweepLeak {
  where: string;
  label: string;
  fingerprint: string;
}

export interface SweepSummary {
  namespaces: number;
  workflows: number;
  histories: number;
  events: number;
  outputFiles: number;
  benchFiles: number;
  secrets: number;
  /** Recorded values too short to search for without false alarms. */
  ignoredShort: number;
  leaks: SweepLeak[];
  seconds: number;
}

export function summaryLine(s: SweepSummary): string {
  return (
    `secrets sweep: ${s.histories} histories (${s.workflows} workflows, ${s.events} events, ` +
    `${s.namespaces} namespace(s)), ${s.outputFiles} output files, ${s.benchFiles} bench result files, ` +
    `${s.secrets} secrets (${s.ignoredShort} shorter than ${MIN_SECRET_LENGTH} characters ignored), ` +
    `${s.leaks.length} leaks (${s.seconds.toFixed(1)} s)`
  );
}

/** A secret's position as "line N" of a file's text. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

class LeakCollector {
  readonly leaks: SweepLeak[] = [];
  constructor(readonly matcher: SecretMatcher) {}

  search(where: string, text: string, describeOffset?: (offset: number) => string): void {
    for (const [index, offset] of this.matcher.find(text)) {
      const { label, value } = this.matcher.secrets[index]!;
      const at = describeOffset ? `${where} ${describeOffset(offset)}` : where;
      this.leaks.push({ where: at, label, fingerprint: fingerprint(value) });
    }
  }
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

interface Execution {
  namespace: string;
  workflowId: string;
  runId: string;
}

/**
 * Every execution in every namespace. Visibility hides schedules' own workflows from a plain list
 * (they carry TemporalNamespaceDivision), and their histories hold the scheduled action's input, so
 * they are listed by a second query.
 */
async function listExecutions(
  env: TestWorkflowEnvironment,
  narrowedTo: string | undefined,
): Promise<{ namespaces: string[]; executions: Execution[] }> {
  const service = env.connection.workflowService;
  const namespaces: string[] = [];
  let namespacePage: Uint8Array | undefined;
  do {
    const page = await service.listNamespaces({ pageSize: 100, nextPageToken: namespacePage });
    for (const ns of page.namespaces ?? [])
      if (ns.namespaceInfo?.name) namespaces.push(ns.namespaceInfo.name);
    namespacePage = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (namespacePage);

  const executions = new Map<string, Execution>();
  for (const namespace of namespaces) {
    const queries = narrowedTo
      ? [narrowedTo, `(${narrowedTo}) AND TemporalNamespaceDivision IS NOT NULL`]
      : ['', 'TemporalNamespaceDivision IS NOT NULL'];
    for (const query of queries) {
      let pageToken: Uint8Array | undefined;
      do {
        const page = await service.listWorkflowExecutions({
          namespace,
          query,
          pageSize: 1000,
          nextPageToken: pageToken,
        });
        for (const info of page.executions ?? []) {
          const workflowId = info.execution?.workflowId;
          const runId = info.execution?.runId;
          if (workflowId && runId) executions.set(`${namespace}/${runId}`, { namespace, workflowId, runId });
        }
        pageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      } while (pageToken);
    }
  }
  const sorted = [...executions.values()].sort((a, b) => a.workflowId.localeCompare(b.workflowId));
  return { namespaces, executions: sorted };
}

function benchResultFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .map((name) => path.join(dir, name))
      .filter((file) => statSync(file).isFile());
  } catch {
    return []; // no results committed yet
  }
}

/** The planted canary must be found through the same decoding and matching as the real histories. */
function checkCanary(secrets: readonly Secret[]): void {
  const canary: Secret = { label: 'sweep canary', value: `canary-${process.pid}-${Date.now()}-7Qx` };
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const history = JSON.stringify({
    events: [
      {
        workflowExecutionStartedEventAttributes: {
          input: { payloads: [{ data: b64(`{"k":"${canary.value}"}`) }] },
        },
      },
    ],
  });
  const matcher = new SecretMatcher([...secrets, canary]);
  if (!matcher.find(searchableHistoryText(history)).has(secrets.length)) {
    throw new Error(
      'secrets sweep: the planted canary was not found in a synthetic history; the sweep is broken',
    );
  }
}

export interface SweepOptions {
  /** A visibility query narrowing the histories swept (the sweep's own test); default: all. */
  query?: string;
  benchResultsDir?: string;
}

export async function sweepTestRun(
  env: TestWorkflowEnvironment,
  ledgerDir: string,
  { query, benchResultsDir = BENCH_RESULTS_DIR }: SweepOptions = {},
): Promise<SweepSummary> {
  const began = performance.now();
  const recorded = [...readLedgerSecrets(ledgerDir), ...BENCH_SECRETS];
  const secrets = recorded.filter((s) => s.value.length >= MIN_SECRET_LENGTH);
  checkCanary(secrets);
  const collector = new LeakCollector(new SecretMatcher(secrets));

  const { namespaces, executions } = await listExecutions(env, query);
  const clients = new Map<string, Client>();
  const clientFor = (namespace: string) => {
    let client = clients.get(namespace);
    if (!client) clients.set(namespace, (client = new Client({ connection: env.connection, namespace })));
    return client;
  };
  let events = 0;
  await inPool(executions, HISTORY_FETCHES_IN_FLIGHT, async ({ namespace, workflowId, runId }) => {
    const history = await clientFor(namespace).workflow.getHandle(workflowId, runId).fetchHistory();
    events += history.events?.length ?? 0;
    const where = `history of ${workflowId} (run ${runId}${namespace === 'default' ? '' : `, namespace ${namespace}`})`;
    collector.search(where, searchableHistoryText(historyToJSON(history)));
  });

  const outputFiles = ledgerOutputFiles(ledgerDir);
  for (const file of outputFiles) {
    const text = readFileSync(file, 'utf8');
    // The first line names what printed it (see openTestOutput).
    const source = text.slice(2, text.indexOf('\n'));
    collector.search(
      `output of ${source} [${path.basename(file)}]`,
      text,
      (offset) => `line ${lineOf(text, offset)}`,
    );
  }
  const benchFiles = benchResultFiles(benchResultsDir);
  for (const file of benchFiles) {
    const text = readFileSync(file, 'utf8');
    collector.search(path.relative(projectRoot, file), text, (offset) => `line ${lineOf(text, offset)}`);
  }

  return {
    namespaces: namespaces.length,
    workflows: new Set(executions.map((e) => `${e.namespace}/${e.workflowId}`)).size,
    histories: executions.length,
    events,
    outputFiles: outputFiles.length,
    benchFiles: benchFiles.length,
    secrets: secrets.length,
    ignoredShort: recorded.length - secrets.length,
    leaks: collector.leaks,
    seconds: (performance.now() - began) / 1000,
  };
}

/** Throws (failing the Jest run) when the sweep found a leak; the message never holds a secret. */
export function assertNoLeaks(summary: SweepSummary): void {
  if (summary.leaks.length === 0) return;
  const shown = summary.leaks.slice(0, 50).map((l) => `  ${l.label} [${l.fingerprint}] in ${l.where}`);
  const more =
    summary.leaks.length > shown.length ? [`  … and ${summary.leaks.length - shown.length} more`] : [];
  throw new Error(`secrets sweep: ${summary.leaks.length} leak(s) found:\n${[...shown, ...more].join('\n')}`);
}

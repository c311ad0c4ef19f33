/**
 * The run-wide secrets ledger behind the suite's secrets sweep (test/setup/secrets-sweep-run.ts).
 *
 * The global setup creates a private temporary directory and names it in LAKELOOP_TEST_SECRETS_DIR;
 * every Jest worker process inherits it. Test helpers append to it:
 * - `recordTestSecret`: every token, client secret, password and key the emulators and the IdP were
 *   configured with or issued — one JSON line each, in a file per process (appends from two
 *   processes never interleave);
 * - `recordTestOutput` / `openTestOutput`: everything child processes (worker, CLI, receiver,
 *   emulator CLI) and in-process loggers printed, under output/.
 * The global teardown reads it all, sweeps every workflow history and output file for every secret,
 * and deletes the directory. Outside `npm test` (no variable) every function here does nothing.
 */
import { appendFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const SECRETS_DIR_ENV = 'LAKELOOP_TEST_SECRETS_DIR';

export interface LedgerSecret {
  /** What it is and which test file recorded it; shown in a leak report instead of the value. */
  label: string;
  value: string;
}

function ledgerDir(): string | undefined {
  return process.env[SECRETS_DIR_ENV] || undefined;
}

/** The test file running in this process (Jest's expect state), to say where a leaked secret came from. */
function currentTestFile(): string | undefined {
  const expectGlobal = (globalThis as { expect?: { getState?: () => { testPath?: string } } }).expect;
  const testPath = expectGlobal?.getState?.().testPath;
  return testPath ? path.relative(process.cwd(), testPath) : undefined;
}

/** Adds a secret to the run's ledger (no-op outside `npm test`, or for an empty value). */
export function recordTestSecret(label: string, value: string | undefined): void {
  const dir = ledgerDir();
  if (!dir || !value) return;
  const testFile = currentTestFile();
  const entry: LedgerSecret = { label: testFile ? `${label} (${testFile})` : label, value };
  appendFileSync(path.join(dir, `secrets-${process.pid}.jsonl`), `${JSON.stringify(entry)}\n`);
}

/** Environment variables whose values are credentials (not `_FILE` paths, not key ids). */
const SECRET_ENV_NAME = /(TOKEN|SECRET|PASSWORD|_KEYS|API_KEY)$/;

/** Records the credential-looking values of an environment given to a child process. */
export function recordSecretEnv(what: string, env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) {
    if (!SECRET_ENV_NAME.test(name)) continue;
    recordTestSecret(`${name} of ${what}`, value);
    // A key ring ("id:base64key,id2:key2"): each key on its own, as a payload would hold it.
    if (name.endsWith('_KEYS')) {
      for (const entry of value?.split(/[,\n]/) ?? [])
        recordTestSecret(`a key in ${name} of ${what}`, entry.split(':')[1]?.trim());
    }
  }
}

let outputSequence = 0;

/**
 * An output file for one source (a child process, a logger), created on its first text; returns an
 * appender, or a no-op outside `npm test`. Its first line says what printed it and in which test file.
 */
export function openTestOutput(source: string): (text: string) => void {
  const dir = ledgerDir();
  if (!dir) return () => undefined;
  const safeSource = source.replace(/[^A-Za-z0-9._-]+/g, '-');
  const file = path.join(dir, 'output', `${safeSource}-${process.pid}-${++outputSequence}.log`);
  const testFile = currentTestFile();
  let created = false;
  // Synchronous appends: a Jest worker may exit right after its last test, before a stream flushes.
  return (text: string) => {
    if (!created) {
      created = true;
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, `# ${source}${testFile ? ` in ${testFile}` : ''}\n`);
    }
    appendFileSync(file, text);
  };
}

const sharedOutputs = new Map<string, (text: string) => void>();

/** Appends a line to this process's output file for `source` (e.g. every CLI console line). */
export function recordTestOutput(source: string, text: string): void {
  if (!ledgerDir()) return;
  let append = sharedOutputs.get(source);
  if (!append) sharedOutputs.set(source, (append = openTestOutput(source)));
  append(text.endsWith('\n') ? text : `${text}\n`);
}

/** Every secret recorded in `dir`, first label kept for a value recorded more than once. */
export function readLedgerSecrets(dir: string): LedgerSecret[] {
  const byValue = new Map<string, LedgerSecret>();
  for (const name of readdirSync(dir)) {
    if (!/^secrets-\d+\.jsonl$/.test(name)) continue;
    for (const line of readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as LedgerSecret;
      if (!byValue.has(entry.value)) byValue.set(entry.value, entry);
    }
  }
  return [...byValue.values()];
}

/** Paths of every output file recorded in `dir`. */
export function ledgerOutputFiles(dir: string): string[] {
  const outputDir = path.join(dir, 'output');
  try {
    return readdirSync(outputDir).map((name) => path.join(outputDir, name));
  } catch {
    return [];
  }
}

/**
 * `npm run temporal-cli [-- cli|test-server|all] [--print-path]`
 * Makes sure the Temporal binaries are present (see scripts/lib/temporal-cli.ts) and prints one line
 * per binary saying where it came from. `--print-path` prints only the path (for shell scripts).
 */
import { binaryVersion, resolveTemporalBinary, type BinaryKind } from './lib/temporal-cli.js';

const args = process.argv.slice(2);
const printPath = args.includes('--print-path');
const which = args.find((a) => !a.startsWith('--')) ?? 'all';
const kinds: BinaryKind[] = which === 'all' ? ['cli', 'test-server'] : [which as BinaryKind];
if (!kinds.every((k) => k === 'cli' || k === 'test-server')) {
  console.error(`unknown binary "${which}": expected cli, test-server or all`);
  process.exit(2);
}

let missing = false;
for (const kind of kinds) {
  const resolved = resolveTemporalBinary(kind);
  if (printPath) {
    if (resolved.path) console.log(resolved.path);
  } else {
    const version = kind === 'cli' && resolved.path ? binaryVersion(resolved.path) : undefined;
    console.log(version ? `${resolved.summary} [${version}]` : resolved.summary);
  }
  if (!resolved.path) missing = true;
}
// A missing binary is not fatal: with internet, the SDK downloads its own. The caller decides.
process.exitCode = missing && printPath ? 1 : 0;

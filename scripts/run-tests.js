// `npm test [-- jest arguments]`: the main suite, then — for a full run — the serial pass: the load
// tests in test/stress, the Web UI test in test/ui, the terminal tests in test/terminal and the
// package tests in test/package, one at a time, so their load cannot slow the timing-sensitive
// integration tests. Arguments naming one of those directories run only the serial pass; other
// arguments run only the main suite.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const jest = (extra) =>
  spawnSync(process.execPath, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', ...extra], {
    stdio: 'inherit',
  }).status ?? 1;
const stress = ['--config', 'jest.stress.config.js'];

let code;
if (args.some((a) => /test\/(stress|ui|terminal|package)\b/.test(a))) code = jest([...stress, ...args]);
else {
  code = jest(args);
  if (code === 0 && args.length === 0) code = jest(stress);
}
process.exit(code);

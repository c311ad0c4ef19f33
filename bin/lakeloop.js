#!/usr/bin/env node
// The `lakeloop` command: the compiled CLI. lib/ ships in the package, and `npm ci` in a clone builds
// it (`prepare`); during development `npm run lakeloop --` runs the TypeScript sources instead.
await import('../lib/src/client/cli.js');

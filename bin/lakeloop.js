#!/usr/bin/env node
// The `lakeloop` command once built (`npm run build`); during development use `npm run lakeloop --`.
await import('../lib/src/client/cli.js');

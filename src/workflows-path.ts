import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The workflow bundle's entry file. From source (tsx, tests) it is `workflows/index.ts`; compiled, it
 * is `workflows/index.js` next to this file. The Temporal bundler (webpack + swc) reads either.
 */
export function workflowsPath(): string {
  for (const name of ['./workflows/index.ts', './workflows/index.js']) {
    const file = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error('cannot find src/workflows/index.(ts|js) next to src/workflows-path');
}

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The workflow bundle's entry file. From source (tsx, tests) it is `workflows/index.ts`; compiled, it
 * is `workflows/index.js` next to this file. The Temporal bundler (webpack + swc) reads either.
 */
export function workflowsPath(): string {
  return workflowSourceFile('index');
}

/**
 * Workflow interceptor modules of a bundle built for tracing (workflows/tracing-interceptors.ts). Only
 * such a bundle has them: in every other bundle they would cost each workflow task a span and a sink
 * call even with tracing off — measured at several seconds per task with 600 waiting workflows on
 * 2 cores. A pre-built bundle cannot take them later: pass them to bundleWorkflowCode.
 */
export function workflowInterceptorModules(): string[] {
  return [workflowSourceFile('tracing-interceptors')];
}

/**
 * The tracing twin of a pre-built bundle: `workflow-bundle.js` → `workflow-bundle.tracing.js`
 * (scripts/build-workflow-bundle.ts OUT.js --tracing writes it; the container image has both).
 */
export function tracingBundlePath(bundlePath: string): string {
  return bundlePath.replace(/(\.js)?$/, '.tracing.js');
}

function workflowSourceFile(name: string): string {
  for (const candidate of [`./workflows/${name}.ts`, `./workflows/${name}.js`]) {
    const file = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error(`cannot find src/workflows/${name}.(ts|js) next to src/workflows-path`);
}

import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { stopTestStack } = await tsImport('./stop-test-stack.ts', import.meta.url);
  await stopTestStack();
}

// Jest loads global setup through Node's own ESM loader, which neither maps ".js" imports to ".ts"
// files nor strips types; tsx does both, so the real setup lives in TypeScript and is loaded here.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { startTestStack } = await tsImport('./start-test-stack.ts', import.meta.url);
  await startTestStack();
}

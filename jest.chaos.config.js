// `npm run test:chaos`: the full chaos test (test/stress/chaos.test.ts with 200 workflows) alone. It
// brings its own stack (a dev server it restarts, the emulator, a worker it kills), so it needs no
// global setup; its short form runs in `npm test`'s serial pass (jest.stress.config.js).
import base from './jest.config.js';

process.env.CHAOS_PROFILE ??= 'full';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/stress/chaos.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: undefined,
  globalTeardown: undefined,
  maxWorkers: 1,
};

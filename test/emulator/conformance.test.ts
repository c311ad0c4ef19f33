/**
 * Conformance with a client nobody here wrote: the official Databricks SDK for Python (pinned in
 * test/conformance/requirements.txt) drives the emulator end to end:
 *  - test/conformance/sdk_conformance.py: the Jobs API with a PAT, in-process emulator;
 *  - test/conformance/sdk_oauth.py: OAuth M2M and token federation (env-oidc), against the emulator
 *    started as `npm run emulator -- --service-principal … --federation-policy …`, with a real IdP.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ensurePythonVenv } from '../../scripts/python-venv.js';
import type { TestIdentityProvider } from '../helpers/identity-provider.js';
import { startTestIdentityProvider } from '../helpers/identity-provider.js';
import type { EmulatorProcess } from './cli-process.js';
import { startCli } from './cli-process.js';
import { runConformanceScript } from './python-script.js';
import type { TestEmulator } from './helpers.js';
import { PAT, startTestEmulator } from './helpers.js';

describe('official Databricks SDK for Python against the emulator', () => {
  let emu: TestEmulator;
  let python: string;
  beforeAll(async () => {
    python = (await ensurePythonVenv()).python;
    emu = await startTestEmulator();
  }, 10 * 60_000);
  afterAll(async () => {
    await emu?.close();
  });

  test(
    'sdk_conformance.py passes',
    async () => {
      const result = await runConformanceScript(python, 'sdk_conformance.py', {
        DATABRICKS_HOST: emu.url,
        DATABRICKS_TOKEN: PAT,
      });
      if (result.code !== 0)
        console.error(`sdk_conformance.py exited with ${result.code}:\n${result.output}`);
      expect(result.code).toBe(0);
      expect(result.output).toContain('sdk conformance: all checks passed');
    },
    5 * 60_000,
  );
});

describe('official Databricks SDK for Python: OAuth M2M and token federation', () => {
  const SP_ID = '4f2b9a61-7d3e-4c8a-b5f0-2e6d1c9a8b7f';
  const SP_SECRET = 'dose5e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c';
  const FED_SP_ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  let idp: TestIdentityProvider;
  let emulator: EmulatorProcess;
  let python: string;
  beforeAll(async () => {
    python = (await ensurePythonVenv()).python;
    idp = await startTestIdentityProvider();
    emulator = await startCli([
      '--service-principal',
      `${SP_ID}:${SP_SECRET}:Conformance worker`,
      '--service-principal',
      `${FED_SP_ID}:dose-federated-sp-secret-unused`,
      '--federation-policy',
      JSON.stringify({
        issuer: idp.issuer,
        audiences: [idp.audience],
        subject: idp.clientId,
        client_id: FED_SP_ID,
      }),
      '--federation-policy',
      JSON.stringify({ issuer: idp.issuer, audiences: [idp.audience] }),
      '--time-scale',
      '10',
    ]);
  }, 10 * 60_000);
  afterAll(async () => {
    await emulator?.stop();
    await idp?.close();
  });

  test(
    'sdk_oauth.py passes',
    async () => {
      const result = await runConformanceScript(python, 'sdk_oauth.py', {
        DATABRICKS_HOST: emulator.url,
        LAKELOOP_SP_ID: SP_ID,
        LAKELOOP_SP_SECRET: SP_SECRET,
        LAKELOOP_FED_SP_ID: FED_SP_ID,
        LAKELOOP_IDP_SUBJECT: idp.clientId,
        DATABRICKS_OIDC_TOKEN: await idp.issueToken(),
      });
      if (result.code !== 0) console.error(`sdk_oauth.py exited with ${result.code}:\n${result.output}`);
      expect(result.code).toBe(0);
      expect(result.output).toContain('sdk oauth conformance: all checks passed');
      // The emulator never logs the secrets it was given or saw.
      expect(emulator.stderr.join('\n')).not.toContain(SP_SECRET);
    },
    5 * 60_000,
  );
});

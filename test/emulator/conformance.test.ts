/**
 * Conformance with a client nobody here wrote: the official Databricks SDK for Python (pinned in
 * test/conformance/requirements.txt) drives the emulator end to end:
 *  - test/conformance/sdk_conformance.py: the Jobs API with a PAT, in-process emulator;
 *  - test/conformance/sdk_oauth.py: OAuth M2M and token federation (env-oidc), against the emulator
 *    started as `npm run emulator -- --service-principal … --federation-policy …`, with a real IdP.
 * Each runs twice: against Databricks' usual answers, and with `--dialect strict-nulls,int64-ids,
 * no-issuer`, so a client nobody here wrote shows that those answers are well-formed: the SDK keeps
 * ints exact (Python's json; `_int64` is int()), reads null as absent (`d.get`, `_from_dict`,
 * `_enum`, `_repeated_dict` in databricks/sdk/service/_internal.py) and discovers OAuth from the
 * endpoints alone (databricks/sdk/oauth.py OidcEndpoints.from_dict).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ensurePythonVenv } from '../../scripts/python-venv.js';
import type { TestIdentityProvider } from '../helpers/identity-provider.js';
import { startTestIdentityProvider } from '../helpers/identity-provider.js';
import type { EmulatorProcess } from './cli-process.js';
import { startCli } from './cli-process.js';
import { runConformanceScript } from './python-script.js';
import type { DialectFlag } from '../../emulator/options.js';
import type { TestEmulator } from './helpers.js';
import { PAT, startTestEmulator } from './helpers.js';

/** The dialect the official SDK must handle as well as Databricks' usual answers. */
const SDK_DIALECT: DialectFlag[] = ['strict-nulls', 'int64-ids', 'no-issuer'];
const VARIANTS = [
  { name: "Databricks' usual answers", dialect: [] as DialectFlag[] },
  { name: `--dialect ${SDK_DIALECT.join(',')}`, dialect: SDK_DIALECT },
];

describe.each(VARIANTS)('official Databricks SDK for Python against the emulator: $name', ({ dialect }) => {
  let emu: TestEmulator;
  let python: string;
  beforeAll(async () => {
    python = (await ensurePythonVenv()).python;
    emu = await startTestEmulator({ dialect });
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
        LAKELOOP_DIALECT: dialect.join(','),
      });
      if (result.code !== 0)
        console.error(`sdk_conformance.py exited with ${result.code}:\n${result.output}`);
      expect(result.code).toBe(0);
      expect(result.output).toContain('sdk conformance: all checks passed');
    },
    5 * 60_000,
  );
});

describe.each(VARIANTS)(
  'official Databricks SDK for Python: OAuth M2M and token federation: $name',
  ({ dialect }) => {
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
        ...(dialect.length > 0 ? ['--dialect', dialect.join(',')] : []),
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
          LAKELOOP_DIALECT: dialect.join(','),
        });
        if (result.code !== 0) console.error(`sdk_oauth.py exited with ${result.code}:\n${result.output}`);
        expect(result.code).toBe(0);
        expect(result.output).toContain('sdk oauth conformance: all checks passed');
        // The emulator never logs the secrets it was given or saw.
        expect(emulator.stderr.join('\n')).not.toContain(SP_SECRET);
      },
      5 * 60_000,
    );
  },
);

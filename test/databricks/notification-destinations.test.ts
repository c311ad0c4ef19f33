/** The worker's start-up check of its notification destination, against real emulators. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { checkNotificationDestination } from '../../src/databricks/notification-destinations.js';
import { startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { databricksClientFor } from '../helpers/workspace.js';

describe('checkNotificationDestination', () => {
  let usual: TestEmulator;
  let without: TestEmulator;
  beforeAll(async () => {
    usual = await startTestEmulator();
    without = await startTestEmulator({ dialect: ['no-notifications'] });
  });
  afterAll(async () => {
    await usual?.close();
    await without?.close();
  });

  test('an existing destination is usable', async () => {
    const created = await usual.api<{ id: string }>('POST', '/api/2.0/notification-destinations', {
      display_name: 'lakeloop',
      config: {
        generic_webhook: { url: 'https://example.invalid/hook', username: 'u', password: 'p'.repeat(16) },
      },
    });
    expect(await checkNotificationDestination(databricksClientFor(usual), created.body.id)).toEqual({
      usable: true,
      destinationType: 'WEBHOOK',
    });
  });

  test('a deleted (unknown) destination, or a workspace without the feature, is not', async () => {
    const unknown = await checkNotificationDestination(
      databricksClientFor(usual),
      '00000000-0000-4000-8000-000000000000',
    );
    expect(unknown).toMatchObject({ usable: false });
    const featureless = await checkNotificationDestination(databricksClientFor(without), 'any-id');
    expect(featureless).toMatchObject({
      usable: false,
      reason: expect.stringContaining('ENDPOINT_NOT_FOUND'),
    });
  });
});

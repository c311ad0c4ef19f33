/**
 * Fingerprints: key order does not matter, int64 ids hash as integers, and a one-time run's definition
 * fingerprint ignores exactly the fields that name or route one run (so runs of one definition under
 * dated names share a duration history) while any change to the work gives another.
 */
import { describe, expect, test } from '@jest/globals';
import { definitionFingerprint, fingerprint } from '../../src/activities/fingerprint.js';

const nightly = {
  run_name: 'train-2026-12-01',
  tasks: [
    { task_key: 'train', notebook_task: { notebook_path: '/Shared/train', base_parameters: { n: '1' } } },
  ],
};

describe('fingerprints', () => {
  test('equal settings hash equally whatever the key order; an int64 id hashes exactly', () => {
    expect(fingerprint({ a: 1, b: { c: 2, d: 3 } })).toBe(fingerprint({ b: { d: 3, c: 2 }, a: 1 }));
    expect(fingerprint({ job_id: 9007199254740993n })).not.toBe(fingerprint({ job_id: 9007199254740992n }));
  });

  test("a definition's runs share a fingerprint across names, tokens, notifications and timeouts", () => {
    const another = {
      ...nightly,
      run_name: 'train-2026-12-02',
      idempotency_token: 'lakeloop-abc',
      timeout_seconds: 3_900,
      webhook_notifications: { on_success: [{ id: 'dest' }] },
      email_notifications: { on_failure: ['a@b.c'] },
      notification_settings: { no_alert_for_skipped_runs: true },
      access_control_list: [{ user_name: 'a@b.c', permission_level: 'CAN_VIEW' }],
    };
    expect(definitionFingerprint(another)).toBe(definitionFingerprint(nightly));
    expect(definitionFingerprint(nightly)).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The whole request's fingerprint (jobFingerprint) still tells them apart.
    expect(fingerprint(another)).not.toBe(fingerprint(nightly));
  });

  test('a change to the work is another definition', () => {
    const changedParameter = {
      ...nightly,
      tasks: [
        {
          ...nightly.tasks[0]!,
          notebook_task: { ...nightly.tasks[0]!.notebook_task, base_parameters: { n: '2' } },
        },
      ],
    };
    const withCluster = { ...nightly, tasks: [{ ...nightly.tasks[0]!, existing_cluster_id: '0101-abc' }] };
    const fingerprints = new Set([nightly, changedParameter, withCluster].map(definitionFingerprint));
    expect(fingerprints.size).toBe(3);
  });
});

/**
 * The gap a starting webhook receiver catches up on, from the other receivers' heartbeats
 * (src/webhooks/liveness.ts), and the visibility query that finds the runs waiting across it.
 */
import { describe, expect, test } from '@jest/globals';
import { waitingQuery } from '../../src/webhooks/catch-up.js';
import { gapBefore } from '../../src/webhooks/liveness.js';
import type { ReceiverRecords } from '../../src/workflows/webhook-receivers.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const since = new Date(at(30));

describe('gapBefore', () => {
  test('no records at all: a gap whose start is unknown', () => {
    expect(gapBefore({}, 'me', since)).toEqual({ upAt: since });
  });

  test('only my own record: still unknown', () => {
    expect(gapBefore({ me: { since: at(30), at: at(31) } }, 'me', since)).toEqual({ upAt: since });
  });

  test('the previous receiver stopped (SIGTERM): the gap starts at its last word', () => {
    const records: ReceiverRecords = { old: { since: at(0), at: at(20), stopped: true } };
    expect(gapBefore(records, 'me', since)).toEqual({ downSince: new Date(at(20)), upAt: since });
  });

  test('the previous receiver was killed: the gap starts at its last heartbeat', () => {
    const records: ReceiverRecords = { old: { since: at(0), at: at(25) } };
    expect(gapBefore(records, 'me', since)).toEqual({ downSince: new Date(at(25)), upAt: since });
  });

  test('a replica heartbeated after I started: it listened all along, no gap', () => {
    const records: ReceiverRecords = {
      dead: { since: at(0), at: at(10) },
      alive: { since: at(0), at: at(35) },
    };
    expect(gapBefore(records, 'me', since)).toBeUndefined();
  });

  test('a replica that stopped after I started does not count as listening, but moves the gap start', () => {
    const records: ReceiverRecords = {
      a: { since: at(0), at: at(12) },
      b: { since: at(0), at: at(32), stopped: true },
    };
    expect(gapBefore(records, 'me', since)).toEqual({ downSince: new Date(at(32)), upAt: since });
  });
});

describe('waitingQuery', () => {
  test('runs of one task queue waiting since before the receiver listened', () => {
    expect(waitingQuery('lakeloop', new Date(at(30)))).toBe(
      "WorkflowType = 'databricksRun' AND ExecutionStatus = 'Running' AND TaskQueue = 'lakeloop' AND " +
        "LakeloopNotificationWaitSince < '2026-01-01T12:00:30.000Z'",
    );
  });

  test('a quote in a task queue name cannot end the string early', () => {
    expect(waitingQuery("a'b", new Date(at(30)))).toContain("TaskQueue = 'a\\'b'");
  });
});

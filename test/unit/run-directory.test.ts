import { describe, expect, test } from '@jest/globals';
import { RunDirectory } from '../../src/webhooks/run-directory.js';

describe('RunDirectory', () => {
  test('remembers, forgets, and keeps only the newest entries up to its capacity', () => {
    const directory = new RunDirectory(3);
    for (const id of ['1', '2', '3']) directory.remember(id, { workflowId: `wf-${id}`, runId: `r-${id}` });
    directory.remember('1', { workflowId: 'wf-1', runId: 'r-1b' }); // a repair: 1 is the newest now
    directory.remember('4', { workflowId: 'wf-4', runId: 'r-4' });
    expect(directory.size).toBe(3);
    expect(directory.lookup('2')).toBeUndefined(); // the oldest went first
    expect(directory.lookup('1')).toEqual({ workflowId: 'wf-1', runId: 'r-1b' });
    directory.forget('1');
    expect(directory.lookup('1')).toBeUndefined();
    expect(['3', '4'].map((id) => directory.lookup(id)?.workflowId)).toEqual(['wf-3', 'wf-4']);
  });
});

/**
 * The secrets sweep's one-pass matcher must find exactly what `text.includes(secret)` finds, for
 * every secret at once — a miss here would make every sweep pass vacuously.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';
import {
  SecretMatcher,
  findLeaks,
  fingerprint,
  searchableHistoryText,
  type Secret,
} from '../helpers/secrets-sweep.js';
import { BENCH_SECRETS, assertNoLeaks, summaryLine, type SweepSummary } from '../setup/secrets-sweep-run.js';

const secret = (value: string, label = value): Secret => ({ label, value });

describe('SecretMatcher', () => {
  test('finds each secret at the start, in the middle and at the end, with its first offset', () => {
    const secrets = [secret('dapi0123456789'), secret('hunter2-hunter2'), secret('tail-secret')];
    const text = 'dapi0123456789 and x hunter2-hunter2 y hunter2-hunter2 … tail-secret';
    expect([...new SecretMatcher(secrets).find(text)]).toEqual([
      [0, 0],
      [1, 21],
      [2, text.length - 'tail-secret'.length],
    ]);
  });

  test('a prefix, a one-character change or a text shorter than the window is no match', () => {
    const matcher = new SecretMatcher([secret('abcdefghijkl')]);
    for (const text of ['abcdefghijk', 'abcdefghijkX', 'bcdefghijkl', 'abc', '']) {
      expect(matcher.find(text).size).toBe(0);
    }
  });

  test('secrets sharing their first 8 characters are told apart', () => {
    const secrets = [secret('dapiAAAA-one'), secret('dapiAAAA-two'), secret('dapiAAAA')];
    expect([...new SecretMatcher(secrets).find('x dapiAAAA-two x').keys()].sort()).toEqual([1, 2]);
  });

  test('refuses secrets shorter than 8 characters instead of ignoring them', () => {
    expect(() => new SecretMatcher([secret('short')])).toThrow(/shorter than 8 characters/);
  });

  test('agrees with String.includes on random texts and secrets (non-ASCII included)', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', '-', 'é', '😀', '\n');
    const word = (min: number, max: number) =>
      fc.array(alphabet, { minLength: min, maxLength: max }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.array(word(8, 12), { minLength: 1, maxLength: 6 }), word(0, 300), (values, text) => {
        const secrets = values.map((v) => secret(v));
        const found = new SecretMatcher(secrets).find(text);
        secrets.forEach(({ value }, index) => {
          expect(found.has(index)).toBe(text.includes(value));
          if (found.has(index)) expect(found.get(index)).toBe(text.indexOf(value));
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('the sweep finds planted secrets and never prints them', () => {
  const planted = `plant-${Date.now()}-Zq81xx`;

  test('inside a base64 payload holding base64 JSON, and in a failure message', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const nested = b64(JSON.stringify({ inner: b64(JSON.stringify({ token: planted })) }));
    const history = JSON.stringify({
      events: [
        { workflowExecutionStartedEventAttributes: { input: { payloads: [{ data: b64(`"${nested}"`) }] } } },
        { activityTaskFailedEventAttributes: { failure: { message: 'no secret here' } } },
      ],
    });
    expect(history).not.toContain(planted);
    const leaks = findLeaks(
      [
        { where: 'nested payload', text: searchableHistoryText(history) },
        { where: 'failure', text: `rejected ${planted}` },
        { where: 'clean', text: 'nothing to see' },
      ],
      [{ label: 'planted', value: planted }],
    );
    expect(leaks).toEqual([
      { where: 'nested payload', label: 'planted' },
      { where: 'failure', label: 'planted' },
    ]);
  });

  test('a leak report names where and what, by fingerprint, without the value', () => {
    const summary: SweepSummary = {
      namespaces: 1,
      workflows: 1,
      histories: 1,
      events: 3,
      outputFiles: 0,
      benchFiles: 0,
      secrets: 1,
      ignoredShort: 0,
      leaks: [{ where: 'history of wf-1', label: 'planted', fingerprint: fingerprint(planted) }],
      seconds: 0.1,
    };
    expect(summaryLine(summary)).toMatch(/^secrets sweep: 1 histories .* 1 leaks \(0\.1 s\)$/);
    expect(() => assertNoLeaks(summary)).toThrow(/1 leak\(s\) found:\n {2}planted \[.*\] in history of wf-1/);
    let message = '';
    try {
      assertNoLeaks(summary);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain(planted);
    expect(fingerprint(planted)).toMatch(
      new RegExp(`^"plan…", ${planted.length} chars, sha256 [0-9a-f]{12}$`),
    );
    // A short secret shows no characters at all.
    expect(fingerprint('hunter2-x')).toMatch(/^9 chars, sha256 [0-9a-f]{12}$/);
  });
});

test("the benchmark's credentials the sweep looks for are still the benchmark's", () => {
  const sources = ['bench/lakeloop.ts', 'bench/run.ts']
    .map((file) => readFileSync(path.join(projectRoot, file), 'utf8'))
    .join('\n');
  for (const { label, value } of BENCH_SECRETS)
    expect({ label, found: sources.includes(`'${value}'`) }).toEqual({ label, found: true });
});

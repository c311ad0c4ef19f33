/**
 * Run page links: the Jobs API's legacy fragment URL becomes the path form, as the Databricks CLI's
 * ModernizeJobRunPageURL does (databricks/cli libs/workspaceurls); anything else stays as it was.
 */
import { describe, expect, test } from '@jest/globals';
import { jobRunPageUrl, runPageLink } from '../../src/shared/run-page-url.js';

describe('run page links', () => {
  test.each([
    [
      'https://dbc-1.cloud.databricks.com/?o=1234567890123456#job/100000000001/run/500000000007',
      'https://dbc-1.cloud.databricks.com/jobs/100000000001/runs/500000000007?o=1234567890123456',
    ],
    // No workspace selector, a port, ids beyond 2^53 (kept as text, never through a number).
    ['http://127.0.0.1:8080/#job/1/run/2', 'http://127.0.0.1:8080/jobs/1/runs/2'],
    [
      'https://adb-9.azuredatabricks.net/?o=9#job/9223372036854775806/run/9223372036854775807',
      'https://adb-9.azuredatabricks.net/jobs/9223372036854775806/runs/9223372036854775807?o=9',
    ],
  ])('legacy %s → path form', (legacy, modern) => {
    expect(runPageLink(legacy)).toBe(modern);
  });

  test.each([
    'https://host/jobs/1/runs/2?o=3', // already the path form
    'https://host/?o=3#job/1', // a job, not a run
    'https://host/?o=3#job//run/2', // incomplete fragment
    'https://host/?o=3#notebook/12345',
    'not a url',
  ])('leaves %s unchanged', (url) => {
    expect(runPageLink(url)).toBe(url);
  });

  test('an absent run_page_url stays absent', () => {
    expect(runPageLink(undefined)).toBeUndefined();
  });

  test('a self-built link has the path form, from a number or a decimal string', () => {
    expect(jobRunPageUrl('https://host/', 100000000001, 500000000007)).toBe(
      'https://host/jobs/100000000001/runs/500000000007',
    );
    expect(jobRunPageUrl('https://host', '9223372036854775806', '9223372036854775807')).toBe(
      'https://host/jobs/9223372036854775806/runs/9223372036854775807',
    );
  });
});

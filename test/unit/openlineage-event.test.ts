/**
 * The pure half of OpenLineage: name-based UUIDs, the events built from workflow facts, and the
 * LAKELOOP_OPENLINEAGE_* settings. (test/lineage/openlineage-events.test.ts validates real events
 * against the official client's model of the spec.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { ConfigError, KNOWN_ENV_NAMES, loadConfig } from '../../src/config/index.js';
import { loadOpenLineageSettings } from '../../src/config/openlineage.js';
import { buildRunEvent, stepRunId } from '../../src/lineage/openlineage/event.js';
import { lineageEndpointUrl } from '../../src/lineage/openlineage/http-transport.js';
import { FACET_SCHEMA_URLS, RUN_EVENT_SCHEMA_URL } from '../../src/lineage/openlineage/spec.js';
import { isUuid, uuidV5 } from '../../src/lineage/openlineage/uuid.js';
import type { LineageFact } from '../../src/shared/lineage-facts.js';

const SETTINGS = { namespace: 'lakeloop', version: '0.2.0' };
const PIPELINE = { workflowId: 'nightly-churn', runId: '0d5b8c7e-1f43-4c8a-9c55-2b0e8f3a7d11' };

const fact = (overrides: Partial<LineageFact>): LineageFact => ({
  state: 'START',
  eventTime: '2026-12-03T18:00:00.000Z',
  workflow: { ...PIPELINE, workflowType: 'mlPipeline' },
  subject: { kind: 'workflow' },
  ...overrides,
});

describe('uuidV5', () => {
  test('matches the RFC 9562 / Python uuid.uuid5 vector', () => {
    // Python's documentation: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org') == 886313e1-3b8a-5372-9b90-0c9aee199e5d
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });

  test('is deterministic, differs per name, and refuses a namespace that is no UUID', () => {
    const a = uuidV5(PIPELINE.runId, 'evaluate');
    expect(uuidV5(PIPELINE.runId, 'evaluate')).toBe(a);
    expect(uuidV5(PIPELINE.runId, 'register')).not.toBe(a);
    expect(isUuid(a)).toBe(true);
    expect(a[14]).toBe('5');
    expect(() => uuidV5('nightly-churn', 'evaluate')).toThrow(/must be a UUID/);
  });
});

describe('buildRunEvent', () => {
  test("a workflow's START: its run id, its workflow id as job, engine and job type facets", () => {
    const event = buildRunEvent(fact({}), SETTINGS);
    expect(event).toMatchObject({
      eventType: 'START',
      eventTime: '2026-12-03T18:00:00.000Z',
      schemaURL: RUN_EVENT_SCHEMA_URL,
      run: { runId: PIPELINE.runId },
      job: { namespace: 'lakeloop', name: 'nightly-churn' },
      inputs: [],
      outputs: [],
    });
    expect(event.run.facets.processing_engine).toMatchObject({
      _schemaURL: FACET_SCHEMA_URLS.processing_engine,
      name: 'lakeloop',
      version: '0.2.0',
    });
    expect(event.job.facets.jobType).toMatchObject({ processingType: 'BATCH', jobType: 'PIPELINE' });
    expect(event.run.facets.parent).toBeUndefined();
    expect(event.run.facets.errorMessage).toBeUndefined();
    for (const facet of [...Object.values(event.run.facets), ...Object.values(event.job.facets)]) {
      expect(facet._producer).toBe(event.producer);
    }
  });

  test("a step: uuid5 of the pipeline's run, job <workflow id>/<step>, the pipeline as parent and root", () => {
    const event = buildRunEvent(
      fact({ subject: { kind: 'step', step: 'evaluate' }, root: PIPELINE, state: 'COMPLETE' }),
      SETTINGS,
    );
    expect(event.run.runId).toBe(stepRunId(PIPELINE.runId, 'evaluate'));
    expect(event.job.name).toBe('nightly-churn/evaluate');
    expect(event.job.facets.jobType).toMatchObject({ jobType: 'TASK' });
    expect(event.run.facets.parent).toMatchObject({
      _schemaURL: FACET_SCHEMA_URLS.parent,
      run: { runId: PIPELINE.runId },
      job: { namespace: 'lakeloop', name: 'nightly-churn' },
      root: { run: { runId: PIPELINE.runId }, job: { name: 'nightly-churn' } },
    });
  });

  test('a child databricksRun: its parent from the fact; FAIL with its error and Databricks run', () => {
    const event = buildRunEvent(
      fact({
        state: 'FAIL',
        workflow: {
          workflowId: 'nightly-churn/train',
          runId: 'a1b2c3d4-0000-4000-8000-000000000001',
          workflowType: 'databricksRun',
        },
        parent: PIPELINE,
        error: 'DatabricksRunFailed: the run failed',
        databricks: { runId: '9007199254740993', outcome: 'FAILED', attempt: 2 },
        nominalStartTime: '2026-12-03T02:00:00.000Z',
      }),
      SETTINGS,
    );
    expect(event.job).toMatchObject({ name: 'nightly-churn/train', facets: { jobType: { jobType: 'JOB' } } });
    expect(event.run.facets.parent).toMatchObject({ run: { runId: PIPELINE.runId } });
    expect(event.run.facets.errorMessage).toMatchObject({
      _schemaURL: FACET_SCHEMA_URLS.errorMessage,
      message: 'DatabricksRunFailed: the run failed',
      programmingLanguage: 'TypeScript',
    });
    // Exact int64 ids, as strings.
    expect(event.run.facets.lakeloop_databricksRun).toMatchObject({ runId: '9007199254740993', attempt: 2 });
    expect(event.run.facets.lakeloop_databricksRun!._schemaURL).toMatch(
      /\/v0\.2\.0\/src\/lineage\/openlineage\/schemas\/LakeloopDatabricksRunFacet\.json#\/\$defs\/LakeloopDatabricksRunFacet$/,
    );
    expect(event.run.facets.nominalTime).toMatchObject({ nominalStartTime: '2026-12-03T02:00:00.000Z' });
  });
});

describe('LAKELOOP_OPENLINEAGE_* settings', () => {
  const load = (env: Record<string, string>) => {
    const problems: string[] = [];
    return { settings: loadOpenLineageSettings(env, problems), problems };
  };

  test('off unless asked for', () => {
    expect(load({})).toEqual({ settings: { transport: 'off' }, problems: [] });
    expect(
      load({ LAKELOOP_OPENLINEAGE_TRANSPORT: 'off', LAKELOOP_OPENLINEAGE_URL: 'http://m:5000' }).settings,
    ).toEqual({
      transport: 'off',
    });
  });

  test('a URL turns HTTP on; a path turns the file on; namespace defaults to lakeloop', () => {
    expect(load({ LAKELOOP_OPENLINEAGE_URL: 'http://marquez:5000' }).settings).toEqual({
      transport: 'http',
      url: 'http://marquez:5000',
      namespace: 'lakeloop',
    });
    expect(
      load({ LAKELOOP_OPENLINEAGE_FILE_PATH: '/var/log/ol.jsonl', LAKELOOP_OPENLINEAGE_NAMESPACE: 'prod' })
        .settings,
    ).toEqual({ transport: 'file', filePath: '/var/log/ol.jsonl', namespace: 'prod' });
  });

  test('the API key can come from a file, and is never echoed in a problem', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-ol-key-'));
    const keyFile = path.join(dir, 'key');
    writeFileSync(keyFile, 'sekrit-key-123\n');
    try {
      expect(
        load({ LAKELOOP_OPENLINEAGE_URL: 'http://marquez:5000', LAKELOOP_OPENLINEAGE_API_KEY_FILE: keyFile }),
      ).toEqual({
        settings: {
          transport: 'http',
          url: 'http://marquez:5000',
          namespace: 'lakeloop',
          apiKey: 'sekrit-key-123',
        },
        problems: [],
      });
      const missing = load({
        LAKELOOP_OPENLINEAGE_URL: 'http://marquez:5000',
        LAKELOOP_OPENLINEAGE_API_KEY_FILE: path.join(dir, 'absent'),
      });
      expect(missing.problems).toEqual([
        expect.stringMatching(/^LAKELOOP_OPENLINEAGE_API_KEY_FILE=.*cannot read the file/),
      ]);
      const both = load({
        LAKELOOP_OPENLINEAGE_URL: 'http://marquez:5000',
        LAKELOOP_OPENLINEAGE_API_KEY: 'sekrit-key-123',
        LAKELOOP_OPENLINEAGE_API_KEY_FILE: keyFile,
      });
      expect(both.problems.join('\n')).toMatch(
        /LAKELOOP_OPENLINEAGE_API_KEY and LAKELOOP_OPENLINEAGE_API_KEY_FILE/,
      );
      expect(both.problems.join('\n')).not.toContain('sekrit');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('actionable problems: a bad URL, a transport without its target, both targets without a choice', () => {
    expect(load({ LAKELOOP_OPENLINEAGE_URL: 'marquez:5000' }).problems).toEqual([
      expect.stringMatching(/^LAKELOOP_OPENLINEAGE_URL: expected an http:\/\/ or https:\/\/ URL/),
    ]);
    expect(load({ LAKELOOP_OPENLINEAGE_TRANSPORT: 'file' }).problems).toEqual([
      expect.stringMatching(
        /^LAKELOOP_OPENLINEAGE_FILE_PATH: required when LAKELOOP_OPENLINEAGE_TRANSPORT=file/,
      ),
    ]);
    expect(load({ LAKELOOP_OPENLINEAGE_TRANSPORT: 'kafka' }).problems).toEqual([
      'LAKELOOP_OPENLINEAGE_TRANSPORT: expected http, file or off',
    ]);
    expect(
      load({ LAKELOOP_OPENLINEAGE_URL: 'http://m:5000', LAKELOOP_OPENLINEAGE_FILE_PATH: '/tmp/x' }).problems,
    ).toEqual([expect.stringMatching(/^LAKELOOP_OPENLINEAGE_TRANSPORT: required when both/)]);
  });

  test('part of the one configuration: loadConfig reads it and lists the variables', () => {
    const env = { LAKELOOP_STACK_ENV: 'off', LAKELOOP_OPENLINEAGE_URL: 'https://lineage.example.com' };
    expect(loadConfig(env).openLineage).toMatchObject({ transport: 'http' });
    expect(() => loadConfig({ ...env, LAKELOOP_OPENLINEAGE_TRANSPORT: 'nope' })).toThrow(ConfigError);
    for (const name of [
      'LAKELOOP_OPENLINEAGE_URL',
      'LAKELOOP_OPENLINEAGE_API_KEY_FILE',
      'LAKELOOP_OPENLINEAGE_FILE_PATH',
    ]) {
      expect(KNOWN_ENV_NAMES).toContain(name);
    }
  });

  test("the endpoint resolves like the Python client's urljoin(url, 'api/v1/lineage')", () => {
    expect(lineageEndpointUrl('http://marquez:5000')).toBe('http://marquez:5000/api/v1/lineage');
    expect(lineageEndpointUrl('http://marquez:5000/')).toBe('http://marquez:5000/api/v1/lineage');
    expect(lineageEndpointUrl('https://h/base/', 'events')).toBe('https://h/base/events');
  });
});

/**
 * What a person sees in the Temporal Web UI: a databricksRun and an mlPipeline, started through the
 * `lakeloop` CLI against the real emulator, opened in headless Chromium on the suite's dev server UI
 * (test/setup starts it with the UI on). Each workflow's page must show its summary, the details it
 * was started with, its current details with the Databricks run id linking to the run page, and its
 * search attributes; the workflow list must find it by those attributes — a rejected candidate by
 * its decision. Screenshots land in test-artifacts/ui/.
 *
 * Chromium is Debian's `chromium` package (.ci/run installs it), driven by playwright-core. Without
 * one the tests skip with the reason, except in CI, where that fails instead.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';
import { main } from '../../src/client/main.js';
import type { PipelineResult } from '../../src/shared/pipeline-types.js';
import type { RunResult } from '../../src/shared/run-types.js';
import { createJob } from '../emulator/helpers.js';
import { chromiumOrSkip, launchChromium } from '../helpers/browser.js';
import { captureConsole, pointCliAtTestServer } from '../helpers/cli.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const artifacts = path.join(projectRoot, 'test-artifacts', 'ui');
const UI_TIMEOUT = 20_000;

describe('Temporal Web UI', () => {
  const chromiumPath = chromiumOrSkip('test/ui/workflow-page.test.ts', 'workflow pages in the Web UI');
  if (!chromiumPath) return;

  let harness: WorkspaceHarness;
  let browser: Browser;
  let page: Page;
  let restoreEnvironment: () => void;
  const ui = process.env.LAKELOOP_TEST_TEMPORAL_UI;
  const suffix = Math.random().toString(36).slice(2, 8);
  const { out } = captureConsole();

  beforeAll(async () => {
    if (!ui)
      throw new Error(
        'LAKELOOP_TEST_TEMPORAL_UI is not set: run through npm test (test/setup starts the UI)',
      );
    mkdirSync(artifacts, { recursive: true });
    // With a receiver, one-time runs (the pipeline's steps) wait by webhook, as with `npm run stack`.
    harness = await startWorkspaceHarness({
      name: 'ui',
      receiver: { username: 'databricks', password: `ui-${suffix}-webhook-secret` },
    });
    // pipelines/churn.json registers main.ml.churn in Unity Catalog.
    await harness.emulator.api('POST', '/api/2.1/unity-catalog/schemas', {
      catalog_name: 'main',
      name: 'ml',
    });
    restoreEnvironment = pointCliAtTestServer(harness.taskQueue);
    browser = await launchChromium(chromiumPath);
  });
  afterAll(async () => {
    restoreEnvironment?.();
    await browser?.close();
    await harness?.close();
  });
  afterEach(async () => {
    await page?.close();
  });

  /** Runs the CLI with --json and returns the JSON document it printed. */
  async function cli<T>(argv: string[]): Promise<T> {
    out.length = 0;
    const code = await main(argv);
    expect(code).toBe(0);
    return JSON.parse(out.join('\n')) as T;
  }

  async function openWorkflow(workflowId: string): Promise<void> {
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(UI_TIMEOUT);
    // The workflow's own address; the UI redirects to its latest run.
    await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    await page.getByTestId('user-metadata-tab').waitFor();
    const heading = (await page.locator('h1').allInnerTexts()).join(' ');
    if (!heading.includes(workflowId)) {
      throw new Error(`the page at ${page.url()} is not ${workflowId}'s (heading: ${heading})`);
    }
  }

  async function openTab(testId: 'user-metadata-tab' | 'search-attributes-tab'): Promise<void> {
    await page.getByTestId(testId).click();
    await page.waitForURL(/\/(user-metadata|search-attributes)$/);
  }

  /**
   * The text of a markdown frame (summary, current details) once it contains `expected`, with white
   * space collapsed and the renderer's typographic quotes (“churn”) back to plain ones.
   */
  async function frameText(frame: FrameLocator, expected: string): Promise<string> {
    const body = frame.locator('body');
    await body.getByText(expected, { exact: false }).first().waitFor();
    return (await body.innerText()).replace(/\s+/g, ' ').replace(/[“”]/g, '"').replace(/[‘’]/g, "'");
  }

  /** The link's visible text, once the current details show a link to `href`. */
  async function linkText(frame: FrameLocator, href: string): Promise<string> {
    const link = frame.locator(`a[href="${href}"]`);
    await link.waitFor();
    return (await link.innerText()).trim();
  }

  /**
   * Runs `check` on the open page, then saves a screenshot as test-artifacts/ui/NAME.png — also
   * when the check fails, so CI keeps a picture of what the page showed instead.
   */
  async function view(name: string, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } finally {
      await page
        .screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true })
        .catch((err: unknown) => console.warn(`screenshot ${name}: ${String(err)}`));
    }
  }

  /** The workflow list filtered by a visibility query: the text of each row. */
  async function listRows(query: string): Promise<string[]> {
    await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    const rows = page.getByTestId('workflows-summary-configurable-table-row');
    await rows.first().waitFor();
    return (await rows.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
  }

  async function searchAttributesText(key: string): Promise<string> {
    await openTab('search-attributes-tab');
    await page.getByText(`"${key}"`, { exact: false }).first().waitFor();
    return page.locator('main').innerText();
  }

  test('a databricksRun shows its summary, the run id linking to the run page, and its search attributes', async () => {
    const jobName = `ui-nightly-${suffix}`;
    const jobId = await createJob(harness.emulator, {
      name: jobName,
      parameters: [{ name: 'date', default: '2026-01-01' }],
      tasks: [{ task_key: 'train', notebook_task: { notebook_path: '/Repos/ml/train' } }],
    });
    const workflowId = `ui-run-${suffix}`;
    const { result } = await cli<{ result: RunResult }>([
      'run',
      '--job-name',
      jobName,
      '--param',
      'date=2026-11-26',
      '--wait',
      '--json',
      '--workflow-id',
      workflowId,
    ]);
    expect(result).toMatchObject({ outcome: 'SUCCESS', jobId: String(jobId) });
    expect(result.runPageUrl).toBe(
      `${harness.emulator.url}/jobs/${jobId}/runs/${result.runId}?o=${harness.emulator.handle.workspaceId}`,
    );

    await openWorkflow(workflowId);
    await openTab('user-metadata-tab');
    await view('databricks-run', async () => {
      const summary = await frameText(page.frameLocator('#user-metadata-summary'), 'Databricks');
      expect(summary).toContain(`Databricks job "${jobName}"`);
      // What it was started with, not "No details available".
      const started = await frameText(page.frameLocator('#user-metadata-details'), 'Databricks');
      expect(started).toContain(`Databricks job named ${jobName} (run-now)`);
      expect(started).toContain('Parameters date=2026-11-26');
      expect(started).toContain('Wait auto (by webhook when the run will notify this worker');
      expect(started).toContain('On cancel the Databricks run is cancelled');
      const details = page.frameLocator('#user-metadata-current-details');
      const detailsText = await frameText(details, String(result.runId));
      expect(detailsText).toContain(`Databricks run ${result.runId} (job ${jobId})`);
      expect(detailsText).toContain('State SUCCESS · Phase done · Attempt 1');
      expect(detailsText).toContain(`Waiting by ${result.waitMode}`);
      expect(await linkText(details, result.runPageUrl!)).toBe(String(result.runId));
    });

    await view('databricks-run-search-attributes', async () => {
      const attributes = await searchAttributesText('DatabricksRunId');
      expect(attributes).toContain(`"DatabricksRunId": "${result.runId}"`);
      expect(attributes).toContain(`"DatabricksJobId": "${jobId}"`);
      expect(attributes).toContain('"DatabricksRunState": "SUCCESS"');
    });

    await view('workflows-by-databricks-run-id', async () => {
      // Scoped to this test's task queue: other suites' emulators on the same dev server hand out the
      // same run ids (each emulator counts from 500000000001).
      const rows = await listRows(
        `DatabricksRunId = '${result.runId}' AND DatabricksRunState = 'SUCCESS' AND TaskQueue = '${harness.taskQueue}'`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatch(new RegExp(`Completed ${workflowId} \\S+ databricksRun`, 'i'));
    });
  });

  test('an mlPipeline shows its summary and step links, and its train child shows its own', async () => {
    const workflowId = `ui-pipeline-${suffix}`;
    const { result } = await cli<{ result: PipelineResult }>([
      'pipeline',
      'start',
      path.join(projectRoot, 'pipelines', 'churn.json'),
      '--wait',
      '--json',
      '--workflow-id',
      workflowId,
    ]);
    expect(result.promoted).toBe(true);
    const train = result.steps.find((s) => s.name === 'train')!;
    const score = result.steps.find((s) => s.name === 'score')!;
    expect(train.runPageUrl).toBeDefined();
    expect(score.runPageUrl).toBeDefined();

    await openWorkflow(workflowId);
    await openTab('user-metadata-tab');
    await view('ml-pipeline', async () => {
      expect(await frameText(page.frameLocator('#user-metadata-summary'), 'ML pipeline')).toContain(
        'ML pipeline "churn": train → evaluate → gate → register "main.ml.churn" → score',
      );
      const started = await frameText(page.frameLocator('#user-metadata-details'), 'Pipeline');
      expect(started).toContain('Train one-time run churn-train (runs/submit, 1 task: train)');
      expect(started).toContain('Gate auc ≥ 0.7; better than the model holding champion');
      expect(started).toContain('Register main.ml.churn, alias champion');
      const details = page.frameLocator('#user-metadata-current-details');
      const detailsText = await frameText(details, 'Pipeline churn');
      expect(detailsText).toContain('Decision promoted: auc');
      expect(detailsText).toContain('Model main.ml.churn version 1 promoted');
      expect(detailsText).toContain(`train: succeeded — SUCCESS (run ${train.databricksRunId})`);
      expect(detailsText).toContain('register: succeeded — main.ml.churn version 1 is now alias "champion"');
      expect(detailsText).toContain(`scored with main.ml.churn version 1 (run ${score.databricksRunId})`);
      expect(await linkText(details, train.runPageUrl!)).toBe(String(train.databricksRunId));
      expect(await linkText(details, score.runPageUrl!)).toBe(String(score.databricksRunId));
    });

    await view('workflows-by-pipeline', async () => {
      const attributes = await searchAttributesText('LakeloopPipeline');
      expect(attributes).toContain('"LakeloopPipeline": "churn"');
      expect(attributes).toContain('"LakeloopDecision": "promoted"');
      expect(attributes).toContain('"LakeloopModelVersion": "1"');
      const rows = await listRows(`LakeloopPipeline = "churn" AND TaskQueue = '${harness.taskQueue}'`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatch(new RegExp(`Completed ${workflowId} \\S+ mlPipeline`, 'i'));
    });

    // The train step is a databricksRun child with its own page, summary and run link.
    await page.close();
    await openWorkflow(`${workflowId}/train`);
    await openTab('user-metadata-tab');
    await view('ml-pipeline-train-step', async () => {
      expect(await frameText(page.frameLocator('#user-metadata-summary'), 'ML pipeline')).toContain(
        'ML pipeline "churn", train step — Databricks one-time run "churn-train"',
      );
      expect(await frameText(page.frameLocator('#user-metadata-details'), 'Pipeline')).toContain(
        'Pipeline churn, train step',
      );
      const details = page.frameLocator('#user-metadata-current-details');
      await frameText(details, String(train.databricksRunId));
      expect(await linkText(details, train.runPageUrl!)).toBe(String(train.databricksRunId));
    });
    // A one-time run records the job id runs/get gives it (runs/submit answers only the run id).
    const jobId = /\/jobs\/(\d+)\/runs\//.exec(train.runPageUrl!)![1];
    await view('ml-pipeline-train-step-search-attributes', async () => {
      expect(await searchAttributesText('DatabricksJobId')).toContain(`"DatabricksJobId": "${jobId}"`);
    });
  });

  test('a rejected pipeline is found by its decision, and its page says why and which version stays', async () => {
    // The second night of the demo: a deliberately weaker candidate (after the test above promoted v1).
    const definition = JSON.parse(
      readFileSync(path.join(projectRoot, 'pipelines', 'churn.json'), 'utf8'),
    ) as { train: { submit: { tasks: Array<{ spark_python_task: { parameters: string[] } }> } } };
    definition.train.submit.tasks[0]!.spark_python_task.parameters.push('--weak');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'lakeloop-ui-')), 'weak.json');
    writeFileSync(file, JSON.stringify(definition));
    const workflowId = `ui-pipeline-rejected-${suffix}`;
    const { result } = await cli<{ result: PipelineResult }>([
      'pipeline',
      'start',
      file,
      '--wait',
      '--json',
      '--workflow-id',
      workflowId,
    ]);
    expect(result).toMatchObject({ promoted: false, modelVersion: '1', decision: { passed: false } });

    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(UI_TIMEOUT);
    await view('workflows-by-decision', async () => {
      const rows = await listRows(`LakeloopDecision = 'rejected' AND TaskQueue = '${harness.taskQueue}'`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatch(new RegExp(`Completed ${workflowId} \\S+ mlPipeline`, 'i'));
    });

    await page.close();
    await openWorkflow(workflowId);
    await openTab('user-metadata-tab');
    await view('ml-pipeline-rejected', async () => {
      const details = await frameText(page.frameLocator('#user-metadata-current-details'), 'Decision');
      expect(details).toMatch(/Decision rejected: auc 0\.\d+ does not reach the threshold 0\.7000/);
      expect(details).toContain('Model main.ml.churn version 1 stays "champion"');
      expect(details).toContain('register: skipped — the candidate was not accepted');
    });
    await view('ml-pipeline-rejected-search-attributes', async () => {
      const attributes = await searchAttributesText('LakeloopDecision');
      expect(attributes).toContain('"LakeloopDecision": "rejected"');
      expect(attributes).toContain('"LakeloopModelVersion": "1"');
    });
  });
});

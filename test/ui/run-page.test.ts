/**
 * Every run link Lakeloop prints opens a run page: databricksRuns started through the `lakeloop` CLI
 * against the real emulator (a job repaired once, and the demo's one-time run), each printed link and
 * each run_page_url the Jobs API returns (the run's and its task runs', in Databricks' legacy
 * fragment form) opened in headless Chromium. The page must show the run's state, its tasks, their
 * outputs and the repair history, and its Temporal link must find the workflow in the suite's
 * Temporal Web UI. Screenshots land in test-artifacts/ui/run-page-*.png.
 *
 * Chromium is Debian's `chromium` package (.ci/run installs it), driven by playwright-core; without
 * one the tests skip with the reason, except in CI, where that fails instead.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';
import { temporalLinkOptions } from '../../scripts/lib/workspace-service.js';
import { main } from '../../src/client/main.js';
import type { RunResult } from '../../src/shared/run-types.js';
import { createJob, getRun, taskByKey } from '../emulator/helpers.js';
import { chromiumOrSkip, launchChromium } from '../helpers/browser.js';
import { captureConsole, pointCliAtTestServer } from '../helpers/cli.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const artifacts = path.join(projectRoot, 'test-artifacts', 'ui');
const UI_TIMEOUT = 20_000;
const RUN_PAGE = /\/jobs\/\d+\/runs\/\d+\?o=\d+$/;

describe('run pages in the browser', () => {
  const chromiumPath = chromiumOrSkip('test/ui/run-page.test.ts', 'run pages');
  if (!chromiumPath) return;

  let harness: WorkspaceHarness;
  let browser: Browser;
  let page: Page;
  let restoreEnvironment: () => void;
  const ui = process.env.LAKELOOP_TEST_TEMPORAL_UI;
  const suffix = Math.random().toString(36).slice(2, 8);
  const { out, err } = captureConsole();

  beforeAll(async () => {
    if (!ui)
      throw new Error(
        'LAKELOOP_TEST_TEMPORAL_UI is not set: run through npm test (test/setup starts the UI)',
      );
    mkdirSync(artifacts, { recursive: true });
    // The emulator links run pages to this suite's Temporal UI, as the local stack does.
    harness = await startWorkspaceHarness({
      name: 'runpage',
      emulator: { defaultTaskDurationMs: 150, ...temporalLinkOptions(`${ui}/namespaces/default`) },
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

  /** Runs the CLI as a person would (no --json) and returns every http(s) link it printed. */
  async function cliLinks(argv: string[]): Promise<string[]> {
    out.length = 0;
    const code = await main(argv);
    if (code !== 0) throw new Error(`lakeloop ${argv.join(' ')} exited ${code}: ${err.join('\n')}`);
    return [...out.join('\n').matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
  }

  async function result(workflowId: string): Promise<RunResult> {
    return (await harness.env.client.workflow.getHandle(workflowId).result()) as RunResult;
  }

  /** Opens `url` in a fresh page and waits for a run page (following the root's fragment script). */
  async function openRunPage(url: string): Promise<void> {
    await page?.close();
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.setDefaultTimeout(UI_TIMEOUT);
    await page.goto(url);
    await page.waitForURL(RUN_PAGE);
    await page.locator('#run-state').waitFor();
  }

  /** Runs `check`, then saves test-artifacts/ui/run-page-NAME.png — also when the check fails. */
  async function view(name: string, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } finally {
      await page
        ?.screenshot({ path: path.join(artifacts, `run-page-${name}.png`), fullPage: true })
        .catch((error: unknown) => console.warn(`screenshot ${name}: ${String(error)}`));
    }
  }

  const text = async (selector: string): Promise<string> =>
    (await page.locator(selector).innerText()).replace(/\s+/g, ' ').trim();

  /** The Temporal link takes the browser to the workflow list, where exactly this workflow shows. */
  async function followTemporalLink(runId: number | string, workflowId: string): Promise<void> {
    const href = await page.locator('#temporal-link').getAttribute('href');
    expect(href).toBe(
      `${ui}/namespaces/default/workflows?query=${encodeURIComponent(
        temporalLinkOptions('x').temporalRunIdType === 'Int'
          ? `DatabricksRunId=${runId}`
          : `DatabricksRunId="${runId}"`,
      )}`,
    );
    await page.locator('#temporal-link').click();
    await page.waitForURL((url) => url.href.startsWith(`${ui}/namespaces/default/workflows`));
    const rows = page.getByTestId('workflows-summary-configurable-table-row');
    await rows.first().waitFor();
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(new RegExp(`${workflowId} \\S+ databricksRun`, 'i'));
  }

  test('a repaired job run: the printed link, the run_page_url and each task run_page_url open their pages', async () => {
    await harness.emulator.control('POST', '/scenarios', {
      match: { taskKey: 'train' },
      durationMs: 200,
      // A cloud failure, which databricksRun's default policy retries (by repair, as asked).
      terminationCode: 'CLOUD_FAILURE',
      failTimes: 1,
      error: 'ValueError: feature "tenure" has NaNs',
      output: { auc: 0.91 },
    });
    await harness.emulator.control('POST', '/scenarios', {
      match: { taskKey: 'score' },
      durationMs: 200,
      logs: 'loading champion\nscored 1200 rows\n<done>',
    });
    const jobName = `runpage-nightly-${suffix}`;
    const jobId = await createJob(harness.emulator, {
      name: jobName,
      tasks: [
        { task_key: 'prepare', notebook_task: { notebook_path: '/Repos/ml/prepare' } },
        {
          task_key: 'train',
          depends_on: [{ task_key: 'prepare' }],
          notebook_task: { notebook_path: '/Repos/ml/train' },
        },
        {
          task_key: 'score',
          depends_on: [{ task_key: 'train' }],
          spark_python_task: { python_file: 'dbfs:/jobs/score.py' },
        },
      ],
    });
    const workflowId = `runpage-job-${suffix}`;
    const links = await cliLinks([
      'run',
      '--job-name',
      jobName,
      '--retries',
      '1',
      '--retry-strategy',
      'repair',
      '--wait',
      '--workflow-id',
      workflowId,
    ]);
    const run = await result(workflowId);
    expect(run).toMatchObject({ outcome: 'SUCCESS', repairs: 1 });
    expect(links).toEqual([run.runPageUrl]);

    for (const link of links) {
      await openRunPage(link);
      await view('job-run', async () => {
        expect(await page.locator('h1').innerText()).toBe(jobName);
        expect(await text('#run-state')).toBe('TERMINATED · SUCCESS');
        for (const key of ['prepare', 'train', 'score']) {
          const row = (await page.locator(`#tasks tr[data-task-key="${key}"]`).innerText()).replace(
            /\s+/g,
            ' ',
          );
          expect(row).toMatch(
            new RegExp(`^${key} \\d+ TERMINATED · SUCCESS SUCCESS .+ \\d+(\\.\\d)? m?s [01]`),
          );
        }
        expect(await text('[data-task-output="train"]')).toContain('{"auc":0.91}');
        expect(await page.locator('[data-task-output="score"] pre').innerText()).toBe(
          'loading champion\nscored 1200 rows\n<done>',
        );
        const history = await text('#repair-history');
        expect(history).toContain('ORIGINAL');
        expect(history).toMatch(/REPAIR \d+ /);
      });
      await view('job-run-temporal-link', () => followTemporalLink(run.runId, workflowId));
    }

    // Databricks' own run_page_url (the fragment form) opens the same page through the root's script.
    const apiRun = await getRun(harness.emulator, run.runId);
    await openRunPage(apiRun.run_page_url as string);
    expect(page.url()).toBe(run.runPageUrl);
    expect(await text('#run-state')).toBe('TERMINATED · SUCCESS');

    // Each task run's own run_page_url: its page, with its output; the replaced train attempt too.
    for (const t of apiRun.tasks as Array<{ task_key: string; run_id: number; run_page_url: string }>) {
      await openRunPage(t.run_page_url);
      await view(`task-${t.task_key}`, async () => {
        expect(await page.locator('h1').innerText()).toBe(t.task_key);
        expect(await text('#run-state')).toBe('TERMINATED · SUCCESS');
        expect(await page.locator('#parent-run').getAttribute('href')).toBe(
          `/jobs/${jobId}/runs/${run.runId}?o=${harness.emulator.handle.workspaceId}`,
        );
        expect(await page.locator('#temporal-link').count()).toBe(1);
      });
    }
    // The first train attempt, replaced by the repair: one of the original attempt's task runs.
    const originalIds = apiRun.repair_history[0].task_run_ids as number[];
    const originals = await Promise.all(originalIds.map((id) => getRun(harness.emulator, id)));
    const replaced = originals.find((t) => t.task_key === 'train')!.run_id as number;
    expect(replaced).not.toBe(taskByKey(apiRun, 'train').run_id);
    await openRunPage(
      `${harness.emulator.url}/jobs/${jobId}/runs/${replaced}?o=${harness.emulator.handle.workspaceId}`,
    );
    await view('task-train-first-attempt', async () => {
      expect(await text('#run-state')).toBe('TERMINATED · FAILED');
      expect(await text('[data-task-output="train"]')).toContain('ValueError: feature "tenure" has NaNs');
      expect(await text('#replaced')).toContain(`task run ${taskByKey(apiRun, 'train').run_id}`);
    });
  });

  test("the demo's one-time run: its printed link opens its page", async () => {
    // The run `npm run demo` starts (scripts/demo.ts), through the CLI.
    const spec = path.join(mkdtempSync(path.join(os.tmpdir(), 'lakeloop-runpage-')), 'demo-run.json');
    writeFileSync(
      spec,
      JSON.stringify({
        run_name: 'lakeloop-demo',
        tasks: [
          { task_key: 'prepare', notebook_task: { notebook_path: '/Shared/lakeloop/prepare' } },
          {
            task_key: 'train',
            depends_on: [{ task_key: 'prepare' }],
            notebook_task: { notebook_path: '/Shared/lakeloop/train' },
          },
        ],
      }),
    );
    const workflowId = `runpage-demo-${suffix}`;
    const links = await cliLinks(['run', '--submit', spec, '--wait', '--workflow-id', workflowId]);
    const run = await result(workflowId);
    expect(run.outcome).toBe('SUCCESS');
    expect(links).toEqual([run.runPageUrl]);
    await openRunPage(links[0]!);
    await view('demo-run', async () => {
      expect(await page.locator('h1').innerText()).toBe('lakeloop-demo');
      expect(await text('.sub')).toContain('one-time run');
      expect(await text('#run-state')).toBe('TERMINATED · SUCCESS');
      expect(await page.locator('#tasks tr[data-task-key]').count()).toBe(2);
      expect(await text('#repair-history')).toContain('ORIGINAL');
    });
    await view('demo-run-temporal-link', () => followTemporalLink(run.runId, workflowId));
  });
});

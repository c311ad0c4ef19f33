/**
 * Every Databricks run link `npm run demo` prints opens that run's page, in headless Chromium: the demo
 * itself runs (`scripts/demo.ts --keep`, its own local stack), and each printed
 * `…/jobs/{job}/runs/{run}?o=…` link is opened while the stack is up. Each page must show the run
 * ended, name its tasks, and link to the Temporal workflows that own it; a screenshot of each is saved
 * in test-artifacts/ui/demo-link-N.png. No workflow the demo closed may show a pending activity
 * (DescribeWorkflowExecution; the abandoned safety-net poll used to linger there, retrying). SIGTERM
 * then stops the demo, which must finish cleanly. The OpenLineage events the demo's worker wrote must
 * validate against the spec.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { projectRoot } from '../../scripts/lib/temporal-cli.js';
import { ensurePythonVenv } from '../../scripts/python-venv.js';
import { chromiumOrSkip, launchChromium } from '../helpers/browser.js';

const artifacts = path.join(projectRoot, 'test-artifacts', 'ui');
const VALIDATOR = path.join(projectRoot, 'test', 'lineage', 'validate_openlineage.py');
const RUN_LINK = /https?:\/\/127\.0\.0\.1:\d+\/jobs\/\d+\/runs\/\d+\?o=\d+/g;

describe('the run links the demo prints', () => {
  const chromiumPath = chromiumOrSkip('test/ui/demo-links.test.ts', 'demo run links');
  if (!chromiumPath) return;

  let demo: ChildProcess;
  let output = '';
  let browser: Browser;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--keep'], {
      cwd: projectRoot,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
    const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
    demo.stdout!.on('data', collect);
    demo.stderr!.on('data', collect);
    // The demo says when its stack stays up for a look around; it fails loudly otherwise.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the demo did not finish its runs:\n${output}`)),
        180_000,
      );
      const check = () => {
        if (output.includes('--keep: the stack stays up')) {
          clearTimeout(timer);
          resolve();
        } else if (/demo failed/.test(output)) {
          clearTimeout(timer);
          reject(new Error(`the demo failed:\n${output}`));
        }
      };
      demo.stdout!.on('data', check);
      void exited.then(() => reject(new Error(`the demo exited early:\n${output}`)));
    });
    browser = await launchChromium(chromiumPath);
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    if (demo && demo.exitCode === null) demo.kill('SIGTERM');
    await exited;
  });

  test('each printed link opens an HTML page of an ended run with its tasks and a Temporal link', async () => {
    const links = [...new Set(output.match(RUN_LINK) ?? [])];
    // The two-task demo run, and train and score of both pipeline nights.
    expect(links.length).toBeGreaterThanOrEqual(5);
    for (const [index, link] of links.entries()) {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      try {
        const response = await page.goto(link);
        expect(response?.status()).toBe(200);
        expect(response?.headers()['content-type']).toContain('text/html');
        const runId = /\/runs\/(\d+)/.exec(link)![1]!;
        expect(await page.locator('body').innerText()).toContain(runId);
        expect(await page.locator('#run-state').innerText()).toMatch(/^TERMINATED · SUCCESS/);
        expect(await page.locator('#tasks tr[data-task-key]').count()).toBeGreaterThan(0);
        expect(await page.locator('#temporal-link').getAttribute('href')).toContain(
          encodeURIComponent(`DatabricksRunId="${runId}"`),
        );
      } finally {
        await page.screenshot({ path: path.join(artifacts, `demo-link-${index + 1}.png`), fullPage: true });
        await page.close();
      }
    }
  }, 120_000);

  test('no workflow the demo closed shows a pending activity', async () => {
    const address = /Temporal gRPC\s+(\S+)/.exec(output)?.[1];
    expect(address).toBeDefined();
    const connection = await Connection.connect({ address: address! });
    try {
      const client = new Client({ connection });
      const closed: string[] = [];
      for await (const execution of client.workflow.list({ query: "ExecutionStatus != 'Running'" })) {
        const description = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
        expect({ workflow: execution.workflowId, pending: description.raw.pendingActivities ?? [] }).toEqual({
          workflow: execution.workflowId,
          pending: [],
        });
        closed.push(`${execution.type} ${execution.workflowId}`);
      }
      // The health check, the two-task run, and both pipelines with their train and score children.
      expect(closed.length).toBeGreaterThanOrEqual(8);
      expect(closed.filter((c) => c.startsWith('databricksRun ')).length).toBeGreaterThanOrEqual(5);
    } finally {
      await connection.close();
    }
  });

  test("the Web UI lists the worker's orphan-reaper Schedule, and a closed run's page shows nothing pending", async () => {
    const ui = /Temporal Web UI\s+(\S+)/.exec(output)?.[1];
    expect(ui).toBeDefined();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      page.setDefaultTimeout(30_000);
      await page.goto(`${ui}/namespaces/default/schedules`);
      await page.getByText('lakeloop-orphan-reaper-lakeloop').first().waitFor();
      await page.screenshot({ path: path.join(artifacts, 'demo-reaper-schedule.png'), fullPage: true });
      // The demo's two-task run, closed: its page must not list a pending activity.
      const workflowId = /databricksRun completed:[\s\S]*?workflow\s+(\S+)/.exec(output)?.[1];
      expect(workflowId).toBeDefined();
      await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId!)}`);
      await page.getByText('Completed').first().waitFor();
      const body = await page.locator('body').innerText();
      expect(body).not.toMatch(/Pending Activities\s*[1-9]/i);
      await page.screenshot({ path: path.join(artifacts, 'demo-closed-run.png'), fullPage: true });
    } finally {
      await page.close();
    }
  }, 90_000);

  test('SIGTERM stops the demo cleanly', async () => {
    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('demo finished.');
  }, 60_000);

  test("the demo's OpenLineage events validate against the spec, every run ending once", async () => {
    const summary = /OpenLineage: (\d+) run events \(([^)]*)\) of (\d+) jobs in (\S+)$/m.exec(output);
    expect(summary).not.toBeNull();
    const [, count, , jobs, file] = summary!;
    // The demo run, and each night's pipeline with its train, evaluate, (register) and score.
    expect(Number(jobs)).toBeGreaterThanOrEqual(8);
    const events = readFileSync(file!, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { eventType: string; run: { runId: string } });
    expect(events).toHaveLength(Number(count));
    const starts = events.filter((e) => e.eventType === 'START').map((e) => e.run.runId);
    const ends = events.filter((e) => e.eventType !== 'START').map((e) => e.run.runId);
    expect(new Set(starts).size).toBe(starts.length);
    expect([...ends].sort()).toEqual([...starts].sort());
    // The official client's generated model of the spec (openlineage-python, the test venv).
    const { python } = await ensurePythonVenv({ quiet: true });
    const { stdout } = await promisify(execFile)(python, [VALIDATOR, file!]);
    expect(stdout).toContain(`${events.length} events valid`);
  }, 120_000);
});

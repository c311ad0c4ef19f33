/**
 * The HTML pages behind run links, over plain HTTP (the browser test is test/ui/run-page.test.ts):
 * every run_page_url runs/get returns — the run's and each task run's — leads to a page showing the
 * run's state, tasks, outputs, repair history and the Temporal link; user data (names, parameters,
 * outputs, logs) is escaped; pages need no token while the API still does.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { parseCommandLine } from '../../emulator/cli-options.js';
import { runPageLink } from '../../src/shared/run-page-url.js';
import type { TestEmulator } from './helpers.js';
import {
  createJob,
  getRun,
  runNow,
  startTestEmulator,
  submit,
  task,
  taskByKey,
  waitForState,
  waitForTerminal,
} from './helpers.js';

const TEMPORAL_UI = 'http://127.0.0.1:8233/namespaces/default';
/** Markup a hostile client could put in names, parameters and outputs. */
const XSS = `<img src=x onerror="alert('x')"><script>alert(1)</script>`;
const XSS_ESCAPED =
  '&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;';

interface Page {
  status: number;
  html: string;
  /** The markup with white space between tags removed and other runs collapsed (not for <pre>). */
  flat: string;
  headers: Headers;
}

describe('run pages', () => {
  let emu: TestEmulator;

  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 30, temporalUiUrl: `${TEMPORAL_UI}/` });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
  });

  /** A page as a browser gets it: no token, redirects not followed (so they can be checked). */
  async function open(url: string): Promise<Page> {
    const response = await fetch(new URL(url, emu.url), { redirect: 'manual' });
    const html = await response.text();
    const flat = html.replace(/>\s+</g, '><').replace(/\s+/g, ' ');
    return { status: response.status, html, flat, headers: response.headers };
  }

  /** The text of the element carrying `attribute="value"` (first match), tags stripped. */
  function section(html: string, attribute: string, value: string): string {
    const start = html.indexOf(`${attribute}="${value}"`);
    if (start < 0) throw new Error(`no element with ${attribute}="${value}"`);
    const end = html.indexOf('</section>', start);
    return html.slice(start, end < 0 ? undefined : end);
  }

  const workflowsLink = (runId: number) =>
    `${TEMPORAL_UI}/workflows?query=${encodeURIComponent(`DatabricksRunId="${runId}"`)}`;

  /**
   * A job with hostile names and parameters: prepare → train (fails once with an error, then
   * succeeds with a result) → score (a Python file whose logs end in a marker); repaired once.
   */
  async function repairedRun(): Promise<{ jobId: number; runId: number; run: any; original: any }> {
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'train' },
      durationMs: 30,
      failTimes: 1,
      error: `ValueError: bad batch ${XSS}`,
      errorTrace: 'Traceback (most recent call last):\n  File "train.py", line 7',
      output: { auc: 0.91, note: XSS },
    });
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'score' },
      durationMs: 30,
      logs: `scoring started\n${XSS}\nscored 1200 rows`,
    });
    const jobId = await createJob(emu, {
      name: `nightly ${XSS}`,
      parameters: [{ name: 'date', default: '2026-01-01' }],
      tasks: [
        task('prepare'),
        task('train', ['prepare']),
        {
          task_key: 'score',
          depends_on: [{ task_key: 'train' }],
          spark_python_task: { python_file: 'dbfs:/jobs/score.py' },
        },
      ],
    });
    const runId = await runNow(emu, { job_id: jobId, job_parameters: { date: XSS } });
    const original = await waitForTerminal(emu, runId);
    expect(original.state.result_state).toBe('FAILED');
    const repaired = await emu.api('POST', '/api/2.1/jobs/runs/repair', {
      run_id: runId,
      rerun_all_failed_tasks: true,
    });
    expect(repaired.status).toBe(200);
    const run = await waitForTerminal(emu, runId);
    expect(run.state.result_state).toBe('SUCCESS');
    return { jobId, runId, run, original };
  }

  test('run_page_url opens the workspace root, whose script follows the fragment to the run page', async () => {
    const { jobId, runId, run } = await repairedRun();
    // What the Jobs API returns today: the legacy fragment form.
    expect(run.run_page_url).toBe(`${emu.url}/?o=${emu.handle.workspaceId}#job/${jobId}/run/${runId}`);

    const root = await open(run.run_page_url);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const script = /<script>([\s\S]*?)<\/script>/.exec(root.html)?.[1];
    expect(script).toContain('location.replace');
    // The only script the policy allows is this one, by hash.
    const hash = createHash('sha256').update(script!).digest('base64');
    expect(root.headers.get('content-security-policy')).toContain(`script-src 'sha256-${hash}'`);
    // Without the fragment (or without script) the root lists the latest runs, linking to their pages.
    expect(root.html).toContain(`href="/jobs/${jobId}/runs/${runId}?o=${emu.handle.workspaceId}"`);
    expect(root.html).toContain(XSS_ESCAPED);
    expect(root.html).not.toContain(XSS);
  });

  test('the run page shows state, tasks, outputs, repair history and the Temporal link, all escaped', async () => {
    const { jobId, runId, run, original } = await repairedRun();
    const link = runPageLink(run.run_page_url as string);
    expect(link).toBe(`${emu.url}/jobs/${jobId}/runs/${runId}?o=${emu.handle.workspaceId}`);
    const page = await open(link);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'none'");
    const { html, flat } = page;

    // Names and parameters are escaped wherever they appear; nothing hostile survives as markup.
    expect(html).not.toContain(XSS);
    expect(flat).toContain(`<h1>nightly ${XSS_ESCAPED}</h1>`);
    expect(flat).toContain(`<td>date</td><td>${XSS_ESCAPED}</td>`);
    expect(html).not.toMatch(/<script/i);

    expect(html).toContain('TERMINATED · SUCCESS');
    expect(html).not.toContain('http-equiv="refresh"');
    // Every task: its key linking to its own page, task run id, state, attempt.
    for (const key of ['prepare', 'train', 'score']) {
      const t = taskByKey(run, key);
      const row = flat.slice(
        flat.indexOf(`data-task-key="${key}"`),
        flat.indexOf('</tr>', flat.indexOf(`data-task-key="${key}"`)),
      );
      expect(row).toContain(`href="/jobs/${jobId}/runs/${t.run_id}?o=${emu.handle.workspaceId}"`);
      expect(row).toContain(`<td>${t.run_id}</td>`);
      expect(row).toContain('TERMINATED · SUCCESS');
      expect(row).toContain(`<td>${t.attempt_number}</td>`);
      expect(row).toMatch(/<td>\d+ ms<\/td>|<td>[\d.]+ s<\/td>/);
    }
    // Outputs as runs/get-output reports them: the train result (JSON text), the score log tail.
    const train = section(flat, 'data-task-output', 'train');
    expect(train).toContain('Result');
    expect(train).toContain(`{&quot;auc&quot;:0.91,&quot;note&quot;:&quot;`);
    const score = section(html, 'data-task-output', 'score');
    expect(score).toContain('Log tail');
    expect(score).toContain(`scoring started\n${XSS_ESCAPED}\nscored 1200 rows`);

    // Repair history: the original attempt and the repair, each linking to its task runs.
    const originalTrain = taskByKey(original, 'train').run_id as number;
    const history = flat.slice(flat.indexOf('id="repair-history"'));
    expect(history).toContain('data-repair="ORIGINAL"');
    expect(history).toContain('data-repair="REPAIR"');
    expect(history).toContain(`<td>${run.repair_history[1].id}</td>`);
    expect(history).toContain(
      `href="/jobs/${jobId}/runs/${originalTrain}?o=${emu.handle.workspaceId}">train (${originalTrain})</a>`,
    );

    // The Temporal UI's workflows whose DatabricksRunId is this run (a Keyword: the quoted decimal id).
    expect(flat).toContain(`<a id="temporal-link" href="${workflowsLink(runId).replace(/&/g, '&amp;')}">`);
  });

  test('each task run_page_url opens that task run, replaced attempts included', async () => {
    const { jobId, runId, run, original } = await repairedRun();
    for (const t of run.tasks as any[]) {
      const page = await open(runPageLink(t.run_page_url as string));
      expect(page.status).toBe(200);
      expect(page.flat).toContain(`<h1>${t.task_key}</h1>`);
      expect(page.flat).toContain(
        `Task run ${t.run_id} of <a id="parent-run" href="/jobs/${jobId}/runs/${runId}?o=`,
      );
      expect(page.html).toContain('TERMINATED · SUCCESS');
      expect(page.flat).toContain(
        `<a id="temporal-link" href="${workflowsLink(runId).replace(/&/g, '&amp;')}">`,
      );
      expect(page.html).not.toContain(XSS);
    }
    // The first train attempt, replaced by the repair: its error and trace, and a link to the latest.
    const first = taskByKey(original, 'train');
    const latest = taskByKey(run, 'train');
    const page = await open(runPageLink(first.run_page_url as string));
    expect(page.status).toBe(200);
    expect(page.html).toContain('TERMINATED · FAILED');
    expect(page.html).toContain(`ValueError: bad batch ${XSS_ESCAPED}`);
    expect(page.html).toContain('Traceback (most recent call last):\n  File &quot;train.py&quot;, line 7');
    expect(page.flat).toContain(`the latest is <a href="/jobs/${jobId}/runs/${latest.run_id}?o=`);
    expect(page.flat).toContain('attempt 1 — task run');
    expect(page.html).not.toContain(XSS);
  });

  test('a running one-time run reloads itself; a huge log shows only its tail', async () => {
    const head = 'FIRST-LINE-MARKER\n';
    const tail = '\nLAST-LINE-MARKER';
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'long' },
      durationMs: 60_000,
    });
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'chatty' },
      durationMs: 20,
      logs: head + 'x'.repeat(200 * 1024) + tail,
      logsTruncated: true,
    });
    const runId = await submit(emu, {
      run_name: 'adhoc',
      tasks: [
        { task_key: 'chatty', spark_python_task: { python_file: 'dbfs:/chatty.py' } },
        { task_key: 'long', notebook_task: { notebook_path: '/Shared/long' } },
      ],
    });
    const running = await waitForState(emu, runId, 'RUNNING');
    const chattyDone = async () =>
      taskByKey(await getRun(emu, runId), 'chatty').state.life_cycle_state === 'TERMINATED';
    for (const deadline = Date.now() + 15_000; !(await chattyDone());) {
      if (Date.now() > deadline) throw new Error('the chatty task did not finish');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const page = await open(runPageLink(running.run_page_url as string));
    expect(page.status).toBe(200);
    expect(page.html).toContain('http-equiv="refresh" content="5"');
    expect(page.flat).toContain('<span class="state active">RUNNING</span>');
    expect(page.html).toContain('one-time run');
    const chatty = section(page.html, 'data-task-output', 'chatty');
    expect(chatty).toContain('LAST-LINE-MARKER');
    expect(chatty).not.toContain('FIRST-LINE-MARKER');
    expect(chatty).toContain('last 64 KiB of 200 KiB');
    expect(chatty).toContain('older output was dropped');
    expect(chatty.length).toBeLessThan(70 * 1024);
    expect(section(page.flat, 'data-task-output', 'long')).toContain('No output yet.');
    await emu.api('POST', '/api/2.1/jobs/runs/cancel', { run_id: runId });
  });

  test('/jobs/runs/{run_id} redirects to the full path; unknown or mismatched runs are 404 pages', async () => {
    const runId = await submit(emu, { run_name: 'one', tasks: [task('only')] });
    const run = await waitForTerminal(emu, runId);
    const redirect = await open(`/jobs/runs/${runId}?o=${emu.handle.workspaceId}`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(
      `/jobs/${run.job_id}/runs/${runId}?o=${emu.handle.workspaceId}`,
    );

    for (const path of [
      `/jobs/${run.job_id}/runs/${runId + 1_000_000}`,
      `/jobs/${run.job_id + 1}/runs/${runId}`,
      `/jobs/runs/${runId + 1_000_000}`,
      `/jobs/${run.job_id}/runs/9223372036854775807`, // an int64 beyond what the emulator hands out
    ]) {
      const page = await open(path);
      expect({ path, status: page.status }).toEqual({ path, status: 404 });
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.html).toContain('id="not-found"');
    }
  });

  test('pages need no token, are not API calls, and the API still needs its token', async () => {
    const runId = await submit(emu, { run_name: 'quiet', tasks: [task('only')] });
    const run = await waitForTerminal(emu, runId);
    const before = await emu.control<{ requests: Record<string, number> }>('GET', '/stats');
    expect((await open(runPageLink(run.run_page_url as string))).status).toBe(200);
    expect((await open('/')).status).toBe(200);
    const head = await fetch(`${emu.url}/jobs/${run.job_id}/runs/${runId}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const after = await emu.control<{ requests: Record<string, number> }>('GET', '/stats');
    expect(after.requests).toEqual(before.requests);
    // Other methods, and paths of another shape, are not pages: they go through the API's authentication.
    expect((await fetch(`${emu.url}/jobs/runs/get?run_id=${runId}`)).status).toBe(401);
    expect((await fetch(`${emu.url}/jobs/${run.job_id}/runs/latest`)).status).toBe(401);
    expect((await fetch(`${emu.url}/jobs/${run.job_id}/runs/${runId}`, { method: 'POST' })).status).toBe(401);
    expect(
      (await emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${runId}`, undefined, { token: null })).status,
    ).toBe(401);
  });

  test('without --temporal-ui-url the page says how to get the link; an Int attribute gets a bare id', async () => {
    for (const [options, expected] of [
      [{}, 'id="temporal-missing"'],
      [{ temporalUiUrl: TEMPORAL_UI, temporalRunIdType: 'Int' as const }, 'DatabricksRunId%3D'],
    ] as const) {
      const other = await startTestEmulator({ defaultTaskDurationMs: 20, ...options });
      try {
        const result = await other.api('POST', '/api/2.1/jobs/runs/submit', {
          run_name: 'x',
          tasks: [task('a')],
        });
        const runId = result.body.run_id as number;
        const run = await waitForTerminal(other, runId);
        const response = await fetch(runPageLink(run.run_page_url as string));
        const html = await response.text();
        expect(html).toContain(expected);
        if ('temporalRunIdType' in options) {
          expect(html).toContain(
            `href="${TEMPORAL_UI}/workflows?query=${encodeURIComponent(`DatabricksRunId=${runId}`)}"`,
          );
        } else {
          expect(html).not.toContain('id="temporal-link"');
        }
      } finally {
        await other.close();
      }
    }
  });

  test('--temporal-ui-url and --temporal-run-id-type on the command line', () => {
    expect(
      parseCommandLine(['--pat', 'x', '--temporal-ui-url', TEMPORAL_UI, '--temporal-run-id-type', 'Int']),
    ).toMatchObject({ temporalUiUrl: TEMPORAL_UI, temporalRunIdType: 'Int' });
    expect(() => parseCommandLine(['--pat', 'x', '--temporal-run-id-type', 'Text'])).toThrow(
      /Keyword or Int/,
    );
  });

  test('a temporalUiUrl that is not a plain http(s) URL is refused', async () => {
    for (const bad of ['javascript:alert(1)', 'ftp://x/y', 'http://x/ns?q=1', 'not a url']) {
      await expect(startTestEmulator({ temporalUiUrl: bad })).rejects.toThrow(/temporal-ui-url/);
    }
  });
});

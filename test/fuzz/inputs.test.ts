/**
 * Property-based fuzzing of everything a user types: the databricksRun input schema, pipeline
 * definitions and the `lakeloop run` flags. Valid inputs built from the schema's rules are always
 * accepted; an invalid input made by mutating one field of a valid one is always refused with a problem
 * that starts with that field's path. The CLI part runs against a real emulator, Temporal server and
 * worker: refused flags exit 2 naming the flag or field and never create a Databricks run.
 * Seeds are fixed, so a failure reproduces.
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import fc from 'fast-check';
import { main } from '../../src/client/main.js';
import { parsePipeline } from '../../src/shared/pipeline-definition.js';
import { parseRunInput } from '../../src/shared/run-input.js';
import { startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { captureConsole, pointCliAtTestServer } from '../helpers/cli.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { createWorkspaceWorker, runsCreated } from '../helpers/workspace.js';

type Json = Record<string, unknown>;
const clone = <T>(value: T): T => structuredClone(value);

// ---------- valid inputs, from the schema's rules ----------

const WORD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';
const chars = (alphabet: string, minLength: number, maxLength: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength, maxLength }).map((a) => a.join(''));
const taskKey = chars(`${WORD}-`, 1, 100);
const paramName = chars(`${WORD}.-`, 1, 40);
const terminationCode = chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ_', 1, 30);

const validDuration = fc.oneof(
  fc
    .tuple(
      // Valid durations run from 1ms to 365d (Temporal needs whole ms; nothing waits a year).
      fc.integer({ min: 1, max: 365 }),
      fc.constantFrom('ms', 's', 'm', 'h', 'd'),
      fc.constantFrom('', ' '),
    )
    .map(([n, unit, space]) => `${n}${space}${unit}`),
  fc
    .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom('s', 'm', 'h'))
    .map(([whole, fraction, unit]) => `${whole}.${fraction}${unit}`),
  fc.integer({ min: 1, max: 86_400_000 }),
  fc.double({ min: 1, max: 1e7, noNaN: true }),
);

const task = fc
  .record(
    {
      task_key: taskKey,
      kind: fc.constantFrom('notebook_task', 'spark_python_task', 'python_wheel_task', 'sql_task'),
      timeout_seconds: fc.integer({ min: 0, max: 86_400 }),
    },
    { requiredKeys: ['task_key', 'kind'] },
  )
  .map(({ kind, ...rest }) => ({ ...rest, [kind]: { notebook_path: '/x' } }) as Json);

const submitSpec = fc.record(
  {
    run_name: fc.string({ minLength: 1, maxLength: 50 }),
    // Task keys are unique within a run, as Databricks requires.
    tasks: fc.uniqueArray(task, { minLength: 1, maxLength: 4, selector: (t) => t.task_key }),
    timeout_seconds: fc.integer({ min: 0, max: 86_400 }),
  },
  { requiredKeys: ['tasks'] },
);

const wait = fc.record(
  {
    mode: fc.constantFrom('auto', 'webhook', 'poll', 'heartbeat'),
    pollInterval: validDuration,
    maxPollInterval: validDuration,
    safetyNetInterval: validDuration,
    heartbeatPollInterval: validDuration,
  },
  { requiredKeys: [] },
);

const retry = fc.record(
  {
    maxAttempts: fc.integer({ min: 1, max: 20 }),
    terminationTypes: fc.subarray(['SUCCESS', 'CLIENT_ERROR', 'INTERNAL_ERROR', 'CLOUD_FAILURE']),
    terminationCodes: fc.array(terminationCode, { maxLength: 3 }),
    strategy: fc.constantFrom('repair', 'resubmit'),
  },
  { requiredKeys: [] },
);

const common = fc.record(
  {
    wait,
    timeout: validDuration,
    retry,
    onCancel: fc.constantFrom('cancel', 'detach'),
    label: fc.string({ maxLength: 200 }),
  },
  { requiredKeys: [] },
);

const jobParameters = fc.dictionary(paramName, fc.string({ maxLength: 20 }), { maxKeys: 4 });

/** A valid databricksRun input: exactly one selector, jobParameters only with a job. */
const validRunInput: fc.Arbitrary<Json> = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      fc.option(jobParameters, { nil: undefined }),
      common,
    )
    .map(([jobId, params, rest]) => ({ jobId, ...(params ? { jobParameters: params } : {}), ...rest })),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 100 }), fc.option(jobParameters, { nil: undefined }), common)
    .map(([jobName, params, rest]) => ({ jobName, ...(params ? { jobParameters: params } : {}), ...rest })),
  fc.tuple(submitSpec, common).map(([submit, rest]) => ({ submit, ...rest })),
);

// ---------- invalid inputs: one mutation of a valid one, and the path it must be reported at ----------

interface Mutation {
  input: Json;
  path: string;
}

const badDuration = fc.constantFrom<unknown>(
  '-5s',
  '0s',
  '0',
  0,
  -1,
  '5 minutes',
  '1y',
  's',
  '',
  '1e3s',
  'NaN',
  '∞',
  null,
  true,
  {},
  [],
  Number.NaN,
  Number.POSITIVE_INFINITY,
);
const wrongType = fc.constantFrom<unknown>(null, true, 42, 'text', [], {});
/** A wrong type for a free-text field (where any string would do). */
const nonString = (value: unknown) => (typeof value === 'string' ? 42 : value);
const badTaskKey = fc.constantFrom('', 'has space', 'k'.repeat(101), 'ü', 'a/b', 'a.b', 'tab\t');
const selectors = ['jobId', 'jobName', 'submit'] as const;
const selectorOf = (input: Json) => selectors.find((k) => input[k] !== undefined)!;

const runInputMutation: fc.Arbitrary<Mutation> = fc
  .tuple(validRunInput, fc.nat(), badDuration, wrongType, badTaskKey, fc.nat())
  .chain(([base, pick, duration, wrong, key, n]) => {
    const input = clone(base);
    const submitTasks = () => (input.submit as { tasks: Json[] }).tasks;
    const mutations: Array<() => Mutation> = [
      () => {
        delete input[selectorOf(input)];
        delete input.jobParameters;
        return { input, path: 'jobId' };
      },
      () => {
        const present = selectorOf(input);
        const other = selectors.filter((s) => s !== present)[n % 2]!;
        input[other] = {
          jobId: 7,
          jobName: 'second',
          submit: { tasks: [{ task_key: 'x', notebook_task: {} }] },
        }[other];
        delete input.jobParameters;
        // The schema reports the second selector in jobId, jobName, submit order.
        return { input, path: selectors.filter((s) => input[s] !== undefined)[1]! };
      },
      () => {
        const field = ['pollInterval', 'maxPollInterval', 'safetyNetInterval', 'heartbeatPollInterval'][
          n % 4
        ]!;
        input.wait = { ...(input.wait as Json | undefined), [field]: duration };
        return { input, path: `wait.${field}` };
      },
      () => {
        input.timeout = duration;
        return { input, path: 'timeout' };
      },
      () => {
        input.wait = { ...(input.wait as Json | undefined), mode: ['sometimes', '', 'POLL', 1][n % 4] };
        return { input, path: 'wait.mode' };
      },
      () => {
        input.retry = {
          ...(input.retry as Json | undefined),
          maxAttempts: [0, 21, 1.5, '3', -1, null][n % 6],
        };
        return { input, path: 'retry.maxAttempts' };
      },
      () => {
        input.retry = { ...(input.retry as Json | undefined), strategy: ['retry', '', 3][n % 3] };
        return { input, path: 'retry.strategy' };
      },
      () => {
        input.retry = { ...(input.retry as Json | undefined), terminationTypes: ['CLOUD_FAILURE', 'NOPE'] };
        return { input, path: 'retry.terminationTypes.1' };
      },
      () => {
        input.retry = { ...(input.retry as Json | undefined), terminationCodes: ['driver_error'] };
        return { input, path: 'retry.terminationCodes.0' };
      },
      () => {
        input.onCancel = wrong;
        return { input, path: 'onCancel' };
      },
      () => {
        input.label = typeof wrong === 'string' ? 'x'.repeat(201) : wrong;
        return { input, path: 'label' };
      },
      () => {
        const field = ['extra', 'jobid', 'Submit', 'waitMode'][n % 4]!;
        input[field] = 1;
        return { input, path: field };
      },
      () => {
        const [group, fields] = n % 2 ? ['wait', ['interval', 'Mode']] : ['retry', ['attempts', 'backoff']];
        const field = fields[n % 2]!;
        input[group as string] = { ...(input[group as string] as Json | undefined), [field]: 1 };
        return { input, path: `${group}.${field}` };
      },
      () => {
        // The selector with the wrong type.
        const present = selectorOf(input);
        const replacement =
          present === 'jobId'
            ? // '12' is a valid job id now (decimal strings keep int64 exact); these are not: zero, a
              // negative, a fraction, not digits, null, past int64, a number past 2^53 (maybe rounded).
              [0, -3, 1.5, '12a', null, '9223372036854775808', 2 ** 60][n % 7]
            : present === 'jobName'
              ? ['', 12, 'x'.repeat(4097)][n % 3]
              : [wrong, 'spec.json'][n % 2];
        input[present] = replacement;
        return { input, path: present };
      },
    ];
    if (input.submit !== undefined) {
      mutations.push(
        () => {
          const i = n % submitTasks().length;
          submitTasks()[i]!.task_key = key;
          return { input, path: `submit.tasks.${i}.task_key` };
        },
        () => {
          (input.submit as Json).tasks = [];
          return { input, path: 'submit.tasks' };
        },
        () => {
          const i = n % submitTasks().length;
          submitTasks()[i] = { task_key: 'no_type' };
          return { input, path: `submit.tasks.${i}` };
        },
        () => {
          input.jobParameters = { a: 'b' };
          return { input, path: 'jobParameters' };
        },
        () => {
          const i = n % submitTasks().length;
          submitTasks()[i]!.timeout_seconds = [-1, 1.5, '60'][n % 3];
          return { input, path: `submit.tasks.${i}.timeout_seconds` };
        },
      );
    } else {
      mutations.push(
        () => {
          input.jobParameters = { ...(input.jobParameters as Json | undefined), 'bad name': 'v' };
          return { input, path: 'jobParameters.bad name' };
        },
        () => {
          input.jobParameters = { ...(input.jobParameters as Json | undefined), p: [1, null, true][n % 3] };
          return { input, path: 'jobParameters.p' };
        },
      );
    }
    return fc.constant(mutations[pick % mutations.length]!());
  });

/** Does some problem start with `path` ("path: …" or "path.sub…: …")? */
function namesPath(problems: string[], path: string): boolean {
  return problems.some((p) => p.startsWith(`${path}:`) || p.startsWith(`${path}.`));
}

describe('parseRunInput', () => {
  test('accepts every input built from the schema rules', () => {
    fc.assert(
      fc.property(validRunInput, (input) => {
        const parsed = parseRunInput(input);
        if (!parsed.ok) throw new Error(`refused ${JSON.stringify(input)}: ${parsed.problems.join('; ')}`);
        // Defaults are filled and durations are milliseconds.
        expect(typeof parsed.value.wait.pollInterval).toBe('number');
        expect(parsed.value.wait.pollInterval).toBeGreaterThan(0);
      }),
      { seed: 20261126, numRuns: 500 },
    );
  });

  test('refuses every one-field mutation, naming the mutated field', () => {
    fc.assert(
      fc.property(runInputMutation, ({ input, path }) => {
        const parsed = parseRunInput(input);
        if (parsed.ok) throw new Error(`accepted ${JSON.stringify(input)} (mutated ${path})`);
        if (!namesPath(parsed.problems, path))
          throw new Error(`problems ${JSON.stringify(parsed.problems)} do not name ${path}`);
      }),
      { seed: 7, numRuns: 1_000 },
    );
  });

  test('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        const parsed = parseRunInput(raw);
        if (!parsed.ok) expect(parsed.problems.length).toBeGreaterThan(0);
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});

// ---------- pipeline definitions ----------

const churn = JSON.parse(readFileSync(path.join(process.cwd(), 'pipelines', 'churn.json'), 'utf8')) as Json;

const validPipeline: fc.Arbitrary<Json> = fc
  .record({
    name: fc.tuple(chars(WORD.replace('_', ''), 1, 1), chars(`${WORD}.-`, 0, 99)).map(([a, b]) => a + b),
    train: validRunInput,
    score: fc.option(validRunInput, { nil: undefined }),
    evaluate: fc.record(
      {
        metric: fc.string({ minLength: 1, maxLength: 250 }),
        source: fc.constantFrom('mlflow', 'output'),
        direction: fc.constantFrom('higher', 'lower'),
        threshold: fc.double({ noNaN: true, noDefaultInfinity: true }),
        mustBeatChampion: fc.boolean(),
        taskKey: fc.string({ minLength: 1, maxLength: 20 }),
      },
      { requiredKeys: ['metric'] },
    ),
    approval: fc.option(
      fc.record(
        { timeout: validDuration, onTimeout: fc.constantFrom('approve', 'reject') },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
    register: fc.record(
      {
        model: chars(`${WORD}.-`, 1, 256),
        alias: fc.tuple(chars('abcXYZ', 1, 1), chars(`${WORD}-`, 0, 30)).map(([a, b]) => a + b),
        artifactPath: fc.string({ minLength: 1, maxLength: 20 }),
      },
      { requiredKeys: ['model'] },
    ),
    keepChurn: fc.boolean(),
  })
  .map(({ keepChurn, ...generated }) => {
    if (keepChurn) return clone(churn); // the real file, unchanged, is part of the population
    const pipeline: Json = { ...clone(churn), ...generated };
    for (const key of ['score', 'approval'] as const) if (generated[key] === undefined) delete pipeline[key];
    return pipeline;
  });

const pipelineMutation: fc.Arbitrary<Mutation> = fc
  .tuple(validPipeline, fc.nat(), runInputMutation, badDuration, wrongType, fc.nat())
  .map(([base, pick, runMutation, duration, wrong, n]) => {
    const pipeline = clone(base);
    const section = (key: string) => {
      pipeline[key] = { ...(pipeline[key] as Json | undefined) };
      return pipeline[key] as Json;
    };
    const mutations: Array<() => Mutation> = [
      () => {
        pipeline.name = ['', '-starts-with-dash', 'has space', 'x'.repeat(101), 'ü', 7][n % 6];
        return { input: pipeline, path: 'name' };
      },
      () => {
        pipeline.train = runMutation.input;
        return { input: pipeline, path: `train.${runMutation.path}` };
      },
      () => {
        pipeline.score = runMutation.input;
        return { input: pipeline, path: `score.${runMutation.path}` };
      },
      () => {
        const field = ['train', 'evaluate', 'register'][n % 3]!;
        delete pipeline[field];
        return { input: pipeline, path: field };
      },
      () => {
        section('evaluate').metric = ['', 'm'.repeat(251), nonString(wrong)][n % 3];
        return { input: pipeline, path: 'evaluate.metric' };
      },
      () => {
        section('evaluate').source = ['mlflow2', '', wrong][n % 3];
        return { input: pipeline, path: 'evaluate.source' };
      },
      () => {
        section('evaluate').direction = ['up', 'HIGHER', wrong][n % 3];
        return { input: pipeline, path: 'evaluate.direction' };
      },
      () => {
        section('evaluate').threshold = [Number.NaN, Number.POSITIVE_INFINITY, '0.7', null][n % 4];
        return { input: pipeline, path: 'evaluate.threshold' };
      },
      () => {
        section('evaluate').mustBeatChampion = ['true', 1, null][n % 3];
        return { input: pipeline, path: 'evaluate.mustBeatChampion' };
      },
      () => {
        section('approval').timeout = duration;
        return { input: pipeline, path: 'approval.timeout' };
      },
      () => {
        section('approval').onTimeout = ['maybe', '', wrong][n % 3];
        return { input: pipeline, path: 'approval.onTimeout' };
      },
      () => {
        section('register').model = ['', 'has space', 'a/b', 'm'.repeat(257), nonString(wrong)][n % 5];
        return { input: pipeline, path: 'register.model' };
      },
      () => {
        section('register').alias = ['1st', '-x', '', 'has space', nonString(wrong)][n % 5];
        return { input: pipeline, path: 'register.alias' };
      },
      () => {
        const unknown: Array<[string, string]> = [
          ['', 'schedule'],
          ['evaluate', 'metrics'],
          ['register', 'stage'],
          ['approval', 'who'],
        ];
        const [group, field] = unknown[n % 4]!;
        if (group) section(group)[field] = 1;
        else pipeline[field] = 1;
        return { input: pipeline, path: group ? `${group}.${field}` : field };
      },
    ];
    return mutations[pick % mutations.length]!();
  });

describe('parsePipeline', () => {
  test('pipelines/churn.json is valid (the base of the mutations)', () => {
    expect(parsePipeline(churn).ok).toBe(true);
  });

  test('accepts every definition built from the schema rules', () => {
    fc.assert(
      fc.property(validPipeline, (pipeline) => {
        const parsed = parsePipeline(pipeline);
        if (!parsed.ok) throw new Error(`refused ${JSON.stringify(pipeline)}: ${parsed.problems.join('; ')}`);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  test('refuses every one-field mutation, naming the mutated field', () => {
    fc.assert(
      fc.property(pipelineMutation, ({ input, path }) => {
        const parsed = parsePipeline(input);
        if (parsed.ok) throw new Error(`accepted a pipeline with ${path} mutated: ${JSON.stringify(input)}`);
        if (!namesPath(parsed.problems, path))
          throw new Error(`problems ${JSON.stringify(parsed.problems)} do not name ${path}`);
      }),
      { seed: 99, numRuns: 1_000 },
    );
  });
});

// ---------- the CLI, against a real emulator, Temporal server and worker ----------

describe('lakeloop run with generated flags', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let worker: Worker;
  let running: Promise<void>;
  let restoreEnvironment: () => void;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-fuzz-'));
  const { out, err } = captureConsole();

  beforeAll(async () => {
    env = await connectToTestServer();
    emulator = await startTestEmulator();
    const taskQueue = uniqueTaskQueue('fuzz-cli');
    worker = await createWorkspaceWorker(env, taskQueue, emulator);
    running = worker.run();
    restoreEnvironment = pointCliAtTestServer(taskQueue);
  });
  afterAll(async () => {
    restoreEnvironment?.();
    worker?.shutdown();
    await running;
    await emulator?.close();
    await env?.teardown();
  });

  let files = 0;
  const file = (content: string) => {
    const name = path.join(dir, `spec-${files++}.json`);
    writeFileSync(name, content);
    return name;
  };
  const validSpecText = JSON.stringify({ run_name: 'fuzz', tasks: [{ task_key: 't', notebook_task: {} }] });

  /** Flags that are valid on their own (one selector is always added by the case). */
  const goodExtras = fc.record(
    {
      '--wait-mode': fc.constantFrom('auto', 'poll', 'webhook', 'heartbeat'),
      '--timeout': fc.constantFrom('2h', '30m', '90s', '1d'),
      '--retries': fc.integer({ min: 0, max: 19 }).map(String),
      '--retry-strategy': fc.constantFrom('repair', 'resubmit'),
    },
    { requiredKeys: [] },
  );

  /** One refused flag set and what stderr must name. */
  type BadCase = { args: string[]; names: string };
  const badCase: fc.Arbitrary<BadCase> = fc
    .tuple(goodExtras, fc.nat(), fc.nat(), fc.string({ maxLength: 12 }))
    .map(([extras, pick, v, noise]) => {
      const rest = Object.entries(extras).flatMap(([flag, value]) => [`${flag}=${value}`]);
      const without = (flag: string) => rest.filter((a) => !a.startsWith(`${flag}=`));
      const cases: Array<() => BadCase> = [
        () => ({
          args: [...rest],
          names: 'expected one of --job-id ID, --job-name NAME or --submit FILE (none given)',
        }),
        () => ({
          args: ['--job-id', '1', '--job-name', `n${noise}`, ...rest],
          names: '(got --job-id and --job-name)',
        }),
        () => ({
          args: ['--job-name', 'n', '--submit', file(validSpecText), ...rest],
          names: '(got --job-name and --submit)',
        }),
        () => ({
          args: [`--job-id=${['abc', '-1', '1.5', '0x10', ' 1', '', noise + 'x'][v % 7]}`, ...rest],
          names: '--job-id',
        }),
        () => ({ args: ['--job-id', '0', ...rest], names: '--job-id:' }),
        () => ({
          args: [
            '--job-id',
            '1',
            ...without('--timeout'),
            `--timeout=${['-5s', '0s', '5 minutes', '', 'soon', '1y'][v % 6]}`,
          ],
          names: '--timeout:',
        }),
        () => ({
          args: [
            '--job-id',
            '1',
            ...without('--wait-mode'),
            `--wait-mode=${['sometimes', '', 'POLL', noise + '!'][v % 4]}`,
          ],
          names: '--wait-mode:',
        }),
        () => ({
          args: [
            '--job-id',
            '1',
            ...without('--retries'),
            `--retries=${['-1', '1.5', 'two', '', ' 2 ', '0x10', '1e1'][v % 7]}`,
          ],
          names: '--retries',
        }),
        () => ({
          args: ['--job-id', '1', ...without('--retries'), `--retries=${20 + (v % 100)}`],
          names: '--retries: expected 0 to 19',
        }),
        () => ({
          args: [
            '--job-id',
            '1',
            ...without('--retry-strategy'),
            `--retry-strategy=${['again', 'REPAIR', 'x'][v % 3]}`,
          ],
          names: '--retry-strategy:',
        }),
        () => ({
          args: ['--job-id', '1', '--param', ['novalue', '=v', ''][v % 3]!, ...rest],
          names: '--param',
        }),
        () => ({
          args: ['--job-id', '1', '--param', 'bad name=v', ...rest],
          names: '--param: bad name:',
        }),
        () => ({
          args: ['--submit', file(validSpecText), '--param', 'a=b', ...rest],
          names: '--param: parameters apply to --job-id and --job-name runs, not to --submit',
        }),
        () => ({
          args: ['--submit', path.join(dir, `missing-${pick}.json`), ...rest],
          names: '--submit: cannot read',
        }),
        () => ({ args: ['--submit', file(`{{${noise}`), ...rest], names: '--submit:' }),
        () => ({
          args: ['--submit', file(JSON.stringify({ tasks: [] })), ...rest],
          names: '--submit FILE: tasks:',
        }),
        () => ({
          args: [
            '--submit',
            file(JSON.stringify({ tasks: [{ task_key: 'bad key', notebook_task: {} }] })),
            ...rest,
          ],
          names: '--submit FILE: tasks.0.task_key:',
        }),
        () => ({
          args: ['--submit', file(JSON.stringify({ tasks: [{ task_key: 't' }] })), ...rest],
          names: '--submit FILE: tasks.0:',
        }),
        () => ({ args: ['--submit', file('[]'), ...rest], names: '--submit FILE:' }),
        () => ({ args: ['--job-id', '1', '--frobnicate', ...rest], names: "'--frobnicate'" }),
        () => ({ args: ['--job-id', '1', 'stray', ...rest], names: 'unexpected argument "stray"' }),
      ];
      return cases[pick % cases.length]!();
    });

  test('200 generated invalid flag sets exit 2 naming the flag or field, and create no Databricks run', async () => {
    const before = await runsCreated(emulator);
    await fc.assert(
      fc.asyncProperty(badCase, async ({ args, names }) => {
        err.length = 0;
        out.length = 0;
        const code = await main(['run', ...args]);
        const stderr = err.join('\n');
        if (code !== 2 || !stderr.includes(names)) {
          throw new Error(
            `lakeloop run ${JSON.stringify(args)} → exit ${code}, stderr ${JSON.stringify(stderr)}, expected ${names}`,
          );
        }
        expect(out).toEqual([]);
      }),
      { seed: 1234, numRuns: 200 },
    );
    expect(await runsCreated(emulator)).toBe(before);
  });

  test('5 generated valid --submit runs in poll mode succeed', async () => {
    const before = await runsCreated(emulator);
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(chars(`${WORD}-`, 1, 20), { minLength: 1, maxLength: 3 }),
        fc.record(
          {
            '--retries': fc.integer({ min: 0, max: 3 }).map(String),
            '--timeout': fc.constantFrom('5m', '1h'),
          },
          { requiredKeys: [] },
        ),
        async (keys, extras) => {
          cases++;
          const runName = `fuzz-ok-${cases}`;
          await emulator.control('POST', '/scenarios', {
            match: { runName },
            durationMs: 100,
            output: runName,
          });
          const tasks = [...new Set(keys)].map((task_key) => ({
            task_key,
            notebook_task: { notebook_path: '/x' },
          }));
          err.length = 0;
          out.length = 0;
          const args = [
            'run',
            '--submit',
            file(JSON.stringify({ run_name: runName, tasks })),
            '--wait',
            '--json',
            '--wait-mode',
            'poll',
            ...Object.entries(extras).map(([flag, value]) => `${flag}=${value}`),
          ];
          const code = await main(args);
          if (code !== 0) throw new Error(`${JSON.stringify(args)} → exit ${code}: ${err.join('\n')}`);
          const document = JSON.parse(out.at(-1)!) as { result: { outcome: string; waitMode: string } };
          expect(document.result).toMatchObject({ outcome: 'SUCCESS', waitMode: 'poll' });
        },
      ),
      { seed: 5, numRuns: 5 },
    );
    expect(await runsCreated(emulator)).toBe(before + 5);
  }, 120_000);
});

import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import {
  judge,
  parsePipeline,
  partialSuccessRefusal,
  type ValidPipeline,
} from '../../src/shared/pipeline-definition.js';

const churn = JSON.parse(readFileSync('pipelines/churn.json', 'utf8')) as Record<string, unknown>;

describe('pipeline definitions', () => {
  test('the demo pipeline is valid and gets defaults', () => {
    const parsed = parsePipeline(churn);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.register).toEqual({
      model: 'main.ml.churn',
      alias: 'champion',
      artifactPath: 'model',
    });
    expect(parsed.value.train.retry.maxAttempts).toBe(2);
  });

  test.each([
    [{ ...churn, name: 'has spaces' }, 'name: expected 1-100 letters'],
    [
      { ...churn, train: { jobId: 1, jobName: 'x' } },
      'train.jobName: expected exactly one of jobId, jobName or submit',
    ],
    [{ ...churn, evaluate: { metric: 'auc', direction: 'up' } }, 'evaluate.direction:'],
    [{ ...churn, evaluate: { threshold: 0.7 } }, 'evaluate.metric:'],
    [{ ...churn, register: { model: 'churn model' } }, 'register.model: expected a model name'],
    [{ ...churn, approval: { timeout: 'soon' } }, 'approval.timeout: expected a duration'],
    [{ ...churn, colour: 'blue' }, 'colour: unknown field'],
  ])('rejects an invalid definition, naming the field (%#)', (definition, message) => {
    const parsed = parsePipeline(definition);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problems.join('\n')).toContain(message);
  });
});

describe('the quality gate', () => {
  const evaluate = (over: Partial<ValidPipeline['evaluate']>): ValidPipeline['evaluate'] => ({
    metric: 'auc',
    source: 'mlflow',
    direction: 'higher',
    mustBeatChampion: false,
    acceptPartialSuccess: false,
    ...over,
  });

  test('a train run that ended SUCCESS_WITH_FAILURES is refused unless the pipeline accepts it', () => {
    const partial = { outcome: 'SUCCESS_WITH_FAILURES', failedTasks: ['features FAILED'] };
    expect(partialSuccessRefusal(evaluate({}), partial)).toBe(
      'the train run ended SUCCESS_WITH_FAILURES (features FAILED); a partly failed run is not promoted ' +
        'unless evaluate.acceptPartialSuccess is true',
    );
    expect(partialSuccessRefusal(evaluate({ acceptPartialSuccess: true }), partial)).toBeUndefined();
    expect(partialSuccessRefusal(evaluate({}), { outcome: 'SUCCESS' })).toBeUndefined();
  });

  test('threshold and champion comparison, higher is better', () => {
    expect(judge(evaluate({ threshold: 0.7 }), 0.72, undefined).passed).toBe(true);
    expect(judge(evaluate({ threshold: 0.7 }), 0.69, undefined)).toEqual({
      passed: false,
      reason: 'auc 0.6900 does not reach the threshold 0.7000',
    });
    expect(judge(evaluate({ mustBeatChampion: true }), 0.8, 0.81)).toEqual({
      passed: false,
      reason: "auc 0.8000 does not beat the champion's 0.8100",
    });
    expect(judge(evaluate({ mustBeatChampion: true }), 0.82, 0.81).passed).toBe(true);
    expect(judge(evaluate({ mustBeatChampion: true }), 0.5, undefined).reason).toContain('no champion yet');
  });

  test('lower is better for losses', () => {
    const loss = evaluate({ metric: 'log_loss', direction: 'lower', threshold: 0.5, mustBeatChampion: true });
    expect(judge(loss, 0.4, 0.45).passed).toBe(true);
    expect(judge(loss, 0.46, 0.45).passed).toBe(false);
    expect(judge(loss, 0.6, undefined).passed).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { drawLogNormal, seededNormal, seededUniform } from '../../bench/draws.js';
import { historyLengths, runLengths, UNCOMPRESSED } from '../../bench/scenarios.js';

describe('seeded run lengths', () => {
  it('the same seed gives the same sequence, another seed another', () => {
    const a = seededUniform(7);
    const b = seededUniform(7);
    const c = seededUniform(8);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
    for (const u of first) expect(u >= 0 && u < 1).toBe(true);
  });

  it('uniform draws are spread evenly and normal draws have mean 0 and spread 1', () => {
    const uniform = seededUniform(1);
    const us = Array.from({ length: 20_000 }, () => uniform());
    const belowHalf = us.filter((u) => u < 0.5).length / us.length;
    expect(Math.abs(belowHalf - 0.5)).toBeLessThan(0.02);
    const normal = seededNormal(seededUniform(2));
    const zs = Array.from({ length: 20_000 }, () => normal());
    const mean = zs.reduce((x, y) => x + y, 0) / zs.length;
    const sd = Math.sqrt(zs.reduce((x, y) => x + (y - mean) ** 2, 0) / (zs.length - 1));
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });

  it('log-normal lengths: median near medianMs, log-spread near sigma, whole ms', () => {
    const lengths = drawLogNormal({ medianMs: 600_000, sigma: 0.18, seed: 11 }, 10_000);
    const sorted = [...lengths].sort((a, b) => a - b);
    expect(Math.abs(sorted[5_000]! / 600_000 - 1)).toBeLessThan(0.02);
    const logs = lengths.map((l) => Math.log(l / 600_000));
    const mean = logs.reduce((x, y) => x + y, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((x, y) => x + (y - mean) ** 2, 0) / (logs.length - 1));
    expect(Math.abs(sd - 0.18)).toBeLessThan(0.01);
    for (const l of lengths) expect(Number.isInteger(l) && l > 0).toBe(true);
  });

  it('the uncompressed scenario: 20 runs of about 10 minutes, none past Prefect’s 900 s default wait, history drawn apart', () => {
    const runs = runLengths(UNCOMPRESSED)!;
    const history = historyLengths(UNCOMPRESSED);
    expect(runs).toHaveLength(20);
    expect(history).toHaveLength(20);
    expect(runLengths(UNCOMPRESSED)).toEqual(runs); // reproducible
    expect(history).not.toEqual(runs);
    const sorted = [...runs].sort((a, b) => a - b);
    expect(sorted[10]! / 1000).toBeGreaterThan(540);
    expect(sorted[10]! / 1000).toBeLessThan(660);
    expect(Math.max(...runs, ...history)).toBeLessThan(900_000);
  });
});

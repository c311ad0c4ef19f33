/**
 * Numeric identifiers. Databricks ids are int64 values far above 2^31, so ours are too: a client that
 * stores them in a 32-bit integer breaks here rather than in production. They stay below 2^53, so a
 * JavaScript number holds them exactly. Jobs and runs use disjoint ranges, which turns "passed a job
 * id where a run id belongs" into an obvious "does not exist" instead of a silent mix-up.
 */
export const FIRST_JOB_ID = 100_000_000_001;
export const FIRST_RUN_ID = 500_000_000_001;

export class IdSequence {
  constructor(private nextValue: number) {}

  next(): number {
    return this.nextValue++;
  }

  /** The value the next call returns; persisted so a restart never reuses an id. */
  peek(): number {
    return this.nextValue;
  }
}

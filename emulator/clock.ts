/**
 * Emulated time. With `--time-scale N` emulated time runs N times faster than the wall clock, so a
 * scenario that "takes" 600 000 ms finishes after 10 s at N = 60, and every timestamp the API reports
 * (start_time, end_time, durations) is read from this clock: end_time - start_time equals the
 * reported duration. At N = 1 emulated time is exactly Date.now().
 */
export class EmulatedClock {
  private anchorReal: number;
  private anchorEmulated: number;

  constructor(
    readonly scale: number,
    private readonly realNow: () => number = Date.now,
    startAt?: number,
  ) {
    this.anchorReal = realNow();
    this.anchorEmulated = startAt ?? this.anchorReal;
  }

  /** Emulated epoch milliseconds. */
  now(): number {
    return Math.floor(this.anchorEmulated + (this.realNow() - this.anchorReal) * this.scale);
  }

  /** Wall-clock milliseconds until the emulated instant `at` (0 if it has passed). */
  realDelayUntil(at: number): number {
    return Math.max(0, (at - this.now()) / this.scale);
  }

  /** An emulated duration expressed in wall-clock milliseconds. */
  toRealMs(emulatedMs: number): number {
    return emulatedMs / this.scale;
  }
}

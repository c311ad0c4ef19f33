/**
 * The scenarios of issue 8. Durations are emulated ms; the emulator runs `timeScale` times faster than
 * the wall clock, while Lakeloop's poll intervals and Temporal timers stay in real time — so compressed
 * runs are detected after fewer polls than uncompressed ones would need. The report shows both lengths.
 */
export interface Scenario {
  name: string;
  runs: number;
  /** Emulated duration of every run. */
  durationMs: number;
  timeScale: number;
  /** concurrent: all started at once; back-to-back: started one after another (each start awaited). */
  launch: 'concurrent' | 'back-to-back';
}

export function scenarios(quick: boolean, timeScaleOverride?: number): Scenario[] {
  const list: Scenario[] = quick
    ? [
        { name: 'single-long', runs: 3, durationMs: 600_000, timeScale: 60, launch: 'concurrent' },
        { name: 'fan-out-100', runs: 100, durationMs: 60_000, timeScale: 10, launch: 'concurrent' },
        { name: 'instant', runs: 50, durationMs: 0, timeScale: 1, launch: 'back-to-back' },
      ]
    : [
        { name: 'single-long', runs: 20, durationMs: 600_000, timeScale: 10, launch: 'concurrent' },
        { name: 'fan-out-100', runs: 100, durationMs: 60_000, timeScale: 1, launch: 'concurrent' },
        { name: 'fan-out-1000', runs: 1_000, durationMs: 60_000, timeScale: 1, launch: 'concurrent' },
        { name: 'fan-out-10000', runs: 10_000, durationMs: 60_000, timeScale: 1, launch: 'concurrent' },
        { name: 'instant', runs: 500, durationMs: 0, timeScale: 1, launch: 'back-to-back' },
      ];
  return timeScaleOverride ? list.map((s) => ({ ...s, timeScale: timeScaleOverride })) : list;
}

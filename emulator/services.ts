/** What route handlers need from the running emulator, in one place. */
import type { EmulatedClock } from './clock.js';
import type { ResolvedOptions } from './options.js';
import type { RunEngine } from './runs/run-engine.js';
import type { ViewContext } from './runs/run-view.js';
import type { Workspace } from './workspace.js';

export interface Services {
  workspace: Workspace;
  engine: RunEngine;
  clock: EmulatedClock;
  options: ResolvedOptions;
  /** Base URL, workspace id and emulated now for rendering runs. */
  view(): ViewContext;
  /** Something persistent changed; the state file writer debounces. */
  changed(): void;
}

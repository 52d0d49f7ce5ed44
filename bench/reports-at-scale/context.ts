// What every phase of a run works with: the settings, the bench's servers, and how a phase
// is run (redone after an outage) and started (on a quiet machine).
import type { Phase, Servers } from './outages';
import type { Settings } from './settings';

export interface RunContext extends Servers {
  s: Settings;
  phase: Phase;
  /** Waits for the machine to be idle before a measured phase (and records the wait). */
  settle: (phase: string) => Promise<void>;
}

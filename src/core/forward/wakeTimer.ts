/**
 * One wake-up at a time over the host's timers: the forwarder needs exactly
 * one pending "look at the queue again" at any moment, moved earlier or later
 * as spans arrive, answers come back and backoffs end.
 */

/** The host's timers (Node's, the browser's, or fake ones in tests). */
export interface ForwardTimers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A single re-armable timer. */
export class WakeTimer {
  private readonly timers: ForwardTimers;
  private readonly now: () => number;
  private readonly wake: () => void;
  private handle: unknown;
  private atMs: number | undefined;

  /** `wake` runs when the armed time comes (from the timer, never inside {@link at}). */
  constructor(timers: ForwardTimers, now: () => number, wake: () => void) {
    this.timers = timers;
    this.now = now;
    this.wake = wake;
  }

  /** Arms the timer for `atMs` (ms since the epoch), replacing any other time; arming the same time again keeps the timer. */
  at(atMs: number): void {
    if (this.atMs === atMs) return;
    this.cancel();
    this.atMs = atMs;
    this.handle = this.timers.setTimeout(
      () => {
        this.handle = undefined;
        this.atMs = undefined;
        this.wake();
      },
      Math.max(0, atMs - this.now()),
    );
  }

  cancel(): void {
    if (this.atMs === undefined) return;
    this.timers.clearTimeout(this.handle);
    this.handle = undefined;
    this.atMs = undefined;
  }
}

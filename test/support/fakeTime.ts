/** Fake clock and timers for testing code that takes injected time (the forwarder). */

import type { ForwardTimers } from '../../src/core/forward/wakeTimer';

interface FakeTimer {
  id: number;
  atMs: number;
  callback: () => void;
}

/** Lets promise callbacks (a transport's answer, the forwarder's reaction) run to completion. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A clock that moves only when told, and timers that fire only as it moves. */
export class FakeTime implements ForwardTimers {
  private nowMs: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.nowMs = startMs;
  }

  /** The current fake time (bound, to pass as `now`). */
  readonly now = (): number => this.nowMs;

  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer = { id: this.nextId++, atMs: this.nowMs + Math.max(0, delayMs), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** When the next timer fires, if any. */
  get nextTimerAtMs(): number | undefined {
    return this.timers.reduce<number | undefined>((min, timer) => (min === undefined || timer.atMs < min ? timer.atMs : min), undefined);
  }

  /**
   * Moves time forward by `ms`, firing due timers in order and letting the
   * promise work they start finish before the next one fires.
   */
  async advance(ms: number): Promise<void> {
    const until = this.nowMs + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((timer) => timer.atMs <= until).sort((a, b) => a.atMs - b.atMs || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.nowMs = Math.max(this.nowMs, due.atMs);
      due.callback();
      await settle();
    }
    this.nowMs = until;
    await settle();
  }

  /** Fires timers until none is left (or `limitMs` of fake time passed). */
  async runAll(limitMs = 24 * 3600_000): Promise<void> {
    const start = this.nowMs;
    await settle();
    while (this.timers.length > 0 && this.nowMs - start < limitMs) {
      await this.advance(Math.max(0, (this.nextTimerAtMs ?? this.nowMs) - this.nowMs));
    }
  }
}

/**
 * Ends an inspector process a while after its last client left, so a process
 * an editor started does not outlive every window that uses it. The clients
 * are the open live streams; the countdown also runs from the start, so a
 * process whose starter never connected ends too.
 */

/** Counts down to `onIdle` while no client is connected. */
export class IdleExit {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {
    this.clientsChanged(0);
  }

  /** Feed it every change of the client count. */
  clientsChanged(clients: number): void {
    if (clients > 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.onIdle();
      }, this.idleMs);
    }
  }

  /** Stops counting (the process ends for another reason). */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Capture pause: while paused, spans from the receivers are counted and
 * dropped before they reach the store; imports the user asks for still go in.
 */

/** Whether receivers' spans are kept. */
export class CaptureGate {
  private on = true;
  private droppedSpans = 0;

  /** False while capture is paused. */
  get capturing(): boolean {
    return this.on;
  }

  /** Spans dropped since capture was last paused. */
  get dropped(): number {
    return this.droppedSpans;
  }

  /** Pauses (false) or resumes (true) capture; pausing starts a new count of dropped spans. */
  setCapturing(capturing: boolean): void {
    if (capturing === this.on) return;
    this.on = capturing;
    if (!capturing) this.droppedSpans = 0;
  }

  /** True when `count` spans from receivers may be stored; counts them as dropped otherwise. */
  admit(count: number): boolean {
    if (!this.on) this.droppedSpans += count;
    return this.on;
  }
}

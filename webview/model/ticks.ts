/** Time axis ticks for the waterfall. Pure, DOM-free. */

/** Ticks of a time axis that starts at 0. */
export interface TimeTicks {
  /** Distance between ticks, ms: 1, 2 or 5 times a power of ten (or a clock-friendly step above a minute). */
  stepMs: number;
  /** Tick positions in ms from the axis start, `0` first, none beyond `durationMs`. */
  ticks: number[];
}

const CLOCK_STEPS = [60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];

/**
 * Picks a "nice" step so that ticks are at least `minSpacingPx` apart on an
 * axis `widthPx` wide showing `durationMs`.
 */
export function timeTicks(durationMs: number, widthPx: number, minSpacingPx = 80): TimeTicks {
  if (!(durationMs > 0) || !(widthPx > 0)) return { stepMs: 1, ticks: [0] };
  const maxTicks = Math.max(1, Math.floor(widthPx / minSpacingPx));
  const rough = durationMs / maxTicks;
  const stepMs = niceStep(rough);
  const ticks: number[] = [];
  // Multiplying (not accumulating) keeps tick values exact enough for labels.
  for (let i = 0; i * stepMs <= durationMs * (1 + 1e-9) && i <= maxTicks + 1; i++) ticks.push(i * stepMs);
  return { stepMs, ticks };
}

/**
 * Ticks of a zoomed axis showing `startMs` to `endMs`: the same nice steps as
 * {@link timeTicks}, at the multiples of the step inside the window (so they
 * line up with the whole trace's ticks).
 */
export function windowTicks(startMs: number, endMs: number, widthPx: number, minSpacingPx = 80): TimeTicks {
  const durationMs = endMs - startMs;
  if (!(durationMs > 0) || !(widthPx > 0)) return { stepMs: 1, ticks: [Math.max(0, startMs)] };
  const maxTicks = Math.max(1, Math.floor(widthPx / minSpacingPx));
  const stepMs = niceStep(durationMs / maxTicks);
  const ticks: number[] = [];
  const first = Math.max(0, Math.ceil(startMs / stepMs - 1e-9));
  for (let i = first; i * stepMs <= endMs + durationMs * 1e-9 && ticks.length <= maxTicks + 1; i++) ticks.push(i * stepMs);
  return { stepMs, ticks };
}

/** Smallest nice step ≥ `rough`. */
export function niceStep(rough: number): number {
  if (rough >= 60_000) {
    for (const step of CLOCK_STEPS) if (step >= rough) return step;
    return Math.ceil(rough / 86_400_000) * 86_400_000;
  }
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 5, 10]) {
    const step = factor * power;
    if (step >= rough * (1 - 1e-9)) return step;
  }
  return 10 * power;
}

/** Display formatting of durations, times, tokens and money. Pure, DOM-free. */

/** A duration in ms, compact: `0.42ms`, `12ms`, `1.25s`, `2m 05s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0ms';
  if (ms < 1) return `${trim(ms.toFixed(ms < 0.01 ? 3 : 2))}ms`;
  if (ms < 10) return `${trim(ms.toFixed(2))}ms`;
  if (ms < 1000) return `${trim(ms.toFixed(ms < 100 ? 1 : 0))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${trim(s.toFixed(s < 10 ? 2 : 1))}s`;
  const totalSeconds = Math.round(s);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes}m ${pad2(totalSeconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${pad2(minutes % 60)}m`;
}

/** A tick label on a time axis whose tick spacing is `stepMs`: as short as the step allows. */
export function formatTick(ms: number, stepMs: number): string {
  if (ms === 0) return '0';
  if (stepMs >= 60_000) return formatDuration(ms);
  if (stepMs >= 1000) return `${trim((ms / 1000).toFixed(decimalsFor(stepMs / 1000)))}s`;
  return `${trim(ms.toFixed(decimalsFor(stepMs)))}ms`;
}

/** Decimals needed to write `step` exactly (up to 6): 2.5 → 1, 0.05 → 2. */
function decimalsFor(step: number): number {
  for (let d = 0; d < 6; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(Math.round(scaled) - scaled) < 1e-6) return d;
  }
  return 6;
}

/** Wall-clock time of day with milliseconds, local time: `14:03:07.123`. */
export function formatClock(epochMs: number): string {
  const date = new Date(epochMs);
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * Date and time of day with milliseconds, local time: `2026-12-03 14:03:07.123`.
 * Built from the date's fields: the first `toLocaleString` of a page loads
 * the locale's data, 40–100 ms before a trace's first rows.
 */
export function formatDateTime(epochMs: number): string {
  const date = new Date(epochMs);
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${formatClock(epochMs)}`;
}

/** Relative age for the trace list: `just now`, `42s ago`, `5m ago`, else a date. */
export function formatAge(epochMs: number, nowMs: number): string {
  const age = nowMs - epochMs;
  if (age < 5_000) return 'just now';
  if (age < 60_000) return `${Math.floor(age / 1000)}s ago`;
  if (age < 3_600_000) return `${Math.floor(age / 60_000)}m ago`;
  if (age < 86_400_000) return `${Math.floor(age / 3_600_000)}h ago`;
  const date = new Date(epochMs);
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
}

/** A token count: `950`, `12.3k`, `1.2M`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs < 1000) return String(Math.round(n));
  if (abs < 1_000_000) return `${trim((n / 1000).toFixed(abs < 10_000 ? 2 : 1))}k`;
  return `${trim((n / 1_000_000).toFixed(abs < 10_000_000 ? 2 : 1))}M`;
}

const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** An exact count with thousands separators: `23,456`. */
export function formatInteger(n: number): string {
  return integerFormat.format(n);
}

/** A span count in words: `1 span`, `100,000 spans`. */
export function formatSpans(n: number): string {
  return n === 1 ? '1 span' : `${formatInteger(n)} spans`;
}

/** USD with enough digits for fractions of a cent: `$0.00042`, `$1.23`; an estimate is marked: `≈$0.0123`. */
export function formatCost(usd: number, estimated = false): string {
  if (!Number.isFinite(usd)) return '–';
  const mark = estimated ? '≈' : '';
  if (usd === 0) return `${mark}$0`;
  const abs = Math.abs(usd);
  if (abs >= 1) return `${mark}$${usd.toFixed(2)}`;
  if (abs >= 0.01) return `${mark}$${trim(usd.toFixed(4))}`;
  return `${mark}$${trim(usd.toPrecision(2))}`;
}

/** A price in USD per million tokens: `$2.50`, `$0.075`, `$15.00`. */
export function formatRate(usdPerMillion: number): string {
  if (!Number.isFinite(usdPerMillion)) return '–';
  if (usdPerMillion === 0) return '$0';
  return usdPerMillion >= 1 ? `$${usdPerMillion.toFixed(2)}` : `$${trim(usdPerMillion.toPrecision(3))}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Drops trailing zeros of a fixed-point number string. */
function trim(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

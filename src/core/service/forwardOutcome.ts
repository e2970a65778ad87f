/**
 * What a manual forward of one trace did, in one plain sentence: the single
 * rule behind the answer of `forwardTrace`, whichever client asked.
 */

import type { ForwardReceipt, ForwardingStatus, TraceForwardStatus } from '../forward/forwarder';

/** The facts a forward's outcome is told from. */
export interface ForwardFacts {
  receipt: Pick<ForwardReceipt, 'queued' | 'alreadySent' | 'overflowed'>;
  /** The trace's forwarding state after the forward (and after waiting, when the client waited). */
  trace: Pick<TraceForwardStatus, 'counts' | 'failures'>;
  forwarding: Pick<ForwardingStatus, 'endpoint' | 'pausedReason' | 'settings'>;
  /** The client asked to wait for Respan's answer, and something was queued to wait for. */
  waited: boolean;
}

function spans(n: number): string {
  return `${n} span${n === 1 ? '' : 's'}`;
}

/** `text` ending as a sentence: a full stop, unless a quoted reason already ends in one (or was cut with `…`). */
function sentence(text: string): string {
  return /[.…!?]$/.test(text) ? text : `${text}.`;
}

/**
 * `ok` is false only when the user has something to act on: nothing could be
 * queued, a span failed, or sending is paused. A forward still under way
 * after the wait is not a failure.
 */
export function describeForward({ receipt, trace, forwarding, waited }: ForwardFacts): { ok: boolean; message: string } {
  const { counts } = trace;
  if (receipt.queued === 0) {
    if (receipt.overflowed > 0) return { ok: false, message: `The forwarding queue is full; ${spans(receipt.overflowed)} can be retried once it drains.` };
    if (receipt.alreadySent > 0) return { ok: true, message: `Respan already has this trace (${spans(receipt.alreadySent)}).` };
    return { ok: false, message: 'This trace has no spans to forward.' };
  }
  if (!waited) {
    const overflow = receipt.overflowed > 0 ? `; ${spans(receipt.overflowed)} did not fit in the queue (retry later)` : '';
    return { ok: true, message: `Forwarding ${spans(receipt.queued)} to ${forwarding.endpoint}${overflow}.` };
  }
  if (counts.failed > 0) return { ok: false, message: sentence(`${spans(counts.failed)} not forwarded: ${trace.failures[0]?.reason ?? 'failed'}`) };
  const unsettled = counts.pending + counts.sending;
  if (unsettled > 0) {
    if (forwarding.pausedReason) return { ok: false, message: sentence(`Not sent yet: ${forwarding.pausedReason}`) };
    return { ok: true, message: `Still sending ${spans(unsettled)} to Respan.` };
  }
  if (counts.sent > 0) return { ok: true, message: `Sent ${spans(counts.sent)} to Respan.` };
  return { ok: false, message: `Nothing to send: the "${forwarding.settings.filter}" filter leaves out every span of this trace.` };
}

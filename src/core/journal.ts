/**
 * What the trace store tells a journal about each change, so a host can keep
 * the store's content somewhere that outlives the process. Core defines the
 * calls; the host (the on-disk journal in `src/server/persist`) decides how
 * they are kept.
 */

import type { Span } from './model';
import type { SpanSource } from './spanSource';

/**
 * Receives every change of a {@link TraceStore} in the order the store makes
 * them, synchronously, before the call that made the change returns: a
 * receiver that answers after `add` returned knows the journal has the spans.
 */
export interface StoreJournal {
  /**
   * Spans were added (new or replacing spans with the same ids) at `atMs`,
   * the time the store records as their traces' `updatedAtMs`. `source` is the
   * request body they were decoded from, when the receiver still held it:
   * keeping those bytes is cheaper than encoding the spans again.
   */
  spansAdded(spans: readonly Span[], atMs: number, source: SpanSource | undefined): void;
  /** A trace was pinned or unpinned. */
  pinned(traceId: string, pinned: boolean): void;
  /** A trace was deleted on request. */
  deleted(traceId: string): void;
  /** Every trace that was not pinned was removed. */
  cleared(): void;
  /** A trace was evicted by a retention limit. */
  evicted(traceId: string): void;
}

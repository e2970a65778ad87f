/**
 * How the server gives other work a turn between the steps of long work (see
 * `core/steps.ts`): `setImmediate`, which runs after the I/O callbacks that are
 * ready, so requests already received and ingest go through between two steps.
 */

import type { YieldTurn } from '../core/steps';

/** Resolves in the event loop's next turn, after the I/O that is ready. */
export const nextTurn: YieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

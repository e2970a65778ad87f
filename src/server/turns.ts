/** Node's way to let other work have a turn of the event loop. */

import type { YieldTurn } from '../core/steps';

/** Resolves once the I/O and timers waiting now had their turn (`setImmediate`, no timer's minimum delay). */
export const nextTurn: YieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

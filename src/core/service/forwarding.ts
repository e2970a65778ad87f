/**
 * How the service reaches the forwarder: the standalone command has one for
 * its whole life, the extension replaces it as settings and the API key change.
 */

import type { Forwarder, ForwardingChange } from '../forward/forwarder';

/** The forwarder as the service sees it. */
export interface ForwardingAccess {
  /** The forwarder now; undefined while forwarding is unavailable (invalid settings). */
  current(): Forwarder | undefined;
  /** Why {@link current} is undefined, said to the user. */
  unavailableReason(): string;
  /** What the user does about a missing API key, appended to that error (`start the inspector with …`). */
  readonly missingKeyHint: string;
  /** Subscribes to the changes of whichever forwarder is current; returns the unsubscribe function. */
  onChange(listener: (change: ForwardingChange) => void): () => void;
}

/** The standalone command's hint: it reads the key from its environment. */
export const ENVIRONMENT_KEY_HINT = 'start the inspector with RESPAN_API_KEY set in its environment';

/** Access to a forwarder that is never replaced. */
export function fixedForwarding(forwarder: Forwarder, missingKeyHint = ENVIRONMENT_KEY_HINT): ForwardingAccess {
  return {
    current: () => forwarder,
    unavailableReason: () => 'forwarding is not set up',
    missingKeyHint,
    onChange: (listener) => forwarder.onChange(listener),
  };
}

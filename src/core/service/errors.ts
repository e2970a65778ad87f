/**
 * The one error of the inspector's service. Its `reason` is what a transport
 * maps (an HTTP status, a reply's `reason` field); its message is one plain
 * sentence for the user and never contains an API key.
 */

/** Why a service request failed. */
export type ServiceErrorReason =
  /** The trace, span or feature asked for is not in this inspector. */
  | 'not-found'
  /** The request's parameters are wrong (the message says which). */
  | 'invalid'
  /** The operation cannot run in the inspector's current state (no API key, forwarding misconfigured). */
  | 'unavailable'
  /** The request is larger than the inspector accepts. */
  | 'too-large';

/** Every reason, for checking a reason that arrived over a transport. */
export const SERVICE_ERROR_REASONS: readonly ServiceErrorReason[] = ['not-found', 'invalid', 'unavailable', 'too-large'];

/** A service request the inspector refuses, and why. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';

  constructor(
    readonly reason: ServiceErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** True when `error` is a {@link ServiceError} for `reason`. */
export function isServiceError(error: unknown, reason?: ServiceErrorReason): error is ServiceError {
  return error instanceof ServiceError && (reason === undefined || error.reason === reason);
}

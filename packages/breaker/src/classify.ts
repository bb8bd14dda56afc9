import { isTimeoutCode } from './isFailure'
import type { ResolvedBreakerOptions } from './options'

/** The error did not count against the dependency: the call counts as a success. */
export const COUNTS_AS_SUCCESS = 0

/** The error counts as a failure of the dependency. */
export const COUNTS_AS_FAILURE = 1

/** The caller gave up first: the call counts as nothing at all. */
export const COUNTS_AS_NOTHING = 2

/** How an error ends a call: one of the `COUNTS_AS_` constants. */
export type CallOutcome =
  | typeof COUNTS_AS_SUCCESS
  | typeof COUNTS_AS_FAILURE
  | typeof COUNTS_AS_NOTHING

/**
 * Sorts an error thrown by `fn` into a failure, a success, or nothing at all. A timeout of
 * the timing package always counts and an error after the caller's own signal aborted
 * never does, whatever `isFailure` says; an `isFailure` that throws counts the call as a
 * failure and is logged as a warning.
 */
export function classify(
  error: unknown,
  signal: AbortSignal,
  options: Pick<ResolvedBreakerOptions, 'isFailure' | 'logger'>,
): CallOutcome {
  if (isTimeoutCode(error)) return COUNTS_AS_FAILURE
  if (signal.aborted) return COUNTS_AS_NOTHING

  try {
    return options.isFailure(error) ? COUNTS_AS_FAILURE : COUNTS_AS_SUCCESS
  } catch (isFailureError) {
    // The caller must get fn's error, not this one; counting is the safer guess.
    options.logger?.warn({ err: isFailureError }, 'breaker isFailure threw')
    return COUNTS_AS_FAILURE
  }
}

import type { BreakerState } from './state'

/** The base class of every error `@ballast/breaker` throws. */
export class BreakerError extends Error {
  /** Name of the error class. */
  override name = 'BreakerError'
}

/** The fields a {@link CircuitOpenError} is built from. */
export interface CircuitOpenErrorDetails {
  /** The name of the breaker that rejected the call. */
  readonly breakerName: string
  /** The state the breaker was in when it rejected the call. */
  readonly state: Exclude<BreakerState, 'closed'>
  /** Clock time at which a call may be tried again, or `null` when unknown. */
  readonly nextAttemptAt: number | null
  /** Milliseconds from the rejection until `nextAttemptAt`, or `null` when unknown. */
  readonly retryAfterMs: number | null
}

/**
 * Thrown by `execute` when the circuit is open, or half-open with every probe
 * slot taken. The wrapped function was not called.
 *
 * `nextAttemptAt` and `retryAfterMs` are `null` when the breaker cannot tell:
 * while it is isolated by hand, and while it is half-open waiting for its
 * probes to settle.
 */
export class CircuitOpenError extends BreakerError {
  /** Name of the error class, `'CircuitOpenError'`. */
  override name = 'CircuitOpenError'
  /** Stable code of this error, `'BALLAST_CIRCUIT_OPEN'`. */
  readonly code: 'BALLAST_CIRCUIT_OPEN' = 'BALLAST_CIRCUIT_OPEN'
  /** The name of the breaker that rejected the call. */
  readonly breakerName: string
  /** The state the breaker was in when it rejected the call. */
  readonly state: Exclude<BreakerState, 'closed'>
  /** Clock time (epoch ms with the default clock) at which a call may be tried again. */
  readonly nextAttemptAt: number | null
  /** Milliseconds from the rejection until `nextAttemptAt`. */
  readonly retryAfterMs: number | null

  constructor(details: CircuitOpenErrorDetails, options?: { readonly cause?: unknown }) {
    super(circuitOpenMessage(details), options)
    this.breakerName = details.breakerName
    this.state = details.state
    this.nextAttemptAt = details.nextAttemptAt
    this.retryAfterMs = details.retryAfterMs
  }
}

/**
 * Tells whether `error` is a {@link CircuitOpenError}, by its `code` rather
 * than by `instanceof`, so it also recognises errors from another copy of this
 * package.
 */
export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'BALLAST_CIRCUIT_OPEN'
  )
}

function circuitOpenMessage(details: CircuitOpenErrorDetails): string {
  const subject = `Circuit '${details.breakerName}' is ${details.state}`
  if (details.retryAfterMs === null) return `${subject}; the call was not attempted`

  return `${subject}; the call was not attempted, retry in ${details.retryAfterMs} ms`
}

/**
 * Base class of every error `@ballast/timing` creates. Check `code`, not
 * `instanceof`: a process may load two copies of this package.
 */
export class TimingError extends Error {
  /** A stable identifier, prefixed `BALLAST_`, that callers can branch on. */
  readonly code: string

  /**
   * @param message - what went wrong, for humans
   * @param code - the stable `BALLAST_` code of the subclass
   * @param options - `cause`, passed through to `Error`
   */
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TimingError'
    this.code = code
  }
}

/** The `code` of a {@link TimeoutError}. */
export const TIMEOUT_ERROR_CODE = 'BALLAST_TIMEOUT'

/**
 * A call did not settle before its deadline. `withDeadline` rejects with it and
 * also uses it as the abort reason of the signal it handed to the call.
 */
export class TimeoutError extends TimingError {
  /** Always `'BALLAST_TIMEOUT'`. */
  declare readonly code: typeof TIMEOUT_ERROR_CODE
  /** The deadline that passed, in milliseconds after the call started. */
  readonly timeoutMs: number

  /**
   * @param timeoutMs - the deadline that passed, in milliseconds
   * @param options - `cause`, passed through to `Error`
   */
  constructor(timeoutMs: number, options?: ErrorOptions) {
    super(`Operation timed out after ${timeoutMs} ms`, TIMEOUT_ERROR_CODE, options)
    this.name = 'TimeoutError'
    this.timeoutMs = timeoutMs
  }
}

/**
 * Tells whether `error` is a {@link TimeoutError}, from any copy of this
 * package, by its `code`.
 */
export function isTimeoutError(error: unknown): error is TimeoutError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === TIMEOUT_ERROR_CODE
  )
}

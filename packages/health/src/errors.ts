/**
 * The base class of every error `@ballast/health` creates. Match on `code`,
 * not on the class: a process may load two copies of this package.
 */
export class HealthError extends Error {
  /** A stable identifier of the failure, prefixed `BALLAST_HEALTH_`. */
  readonly code: string

  /**
   * @param code - the stable code of the subclass
   * @param message - what went wrong, for humans
   * @param options - `cause`, passed through to `Error`
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'HealthError'
    this.code = code
  }
}

/** Code of {@link CheckTimeoutError}. */
export const HEALTH_CHECK_TIMEOUT = 'BALLAST_HEALTH_CHECK_TIMEOUT'

/**
 * A check did not settle within its `timeoutMs`. Its signal was aborted with
 * this error, and the run counts as failed whether or not the check stops.
 */
export class CheckTimeoutError extends HealthError {
  /** Always `'BALLAST_HEALTH_CHECK_TIMEOUT'`. */
  declare readonly code: typeof HEALTH_CHECK_TIMEOUT
  /** The name of the check that ran out of time. */
  readonly checkName: string
  /** The timeout that passed, in milliseconds. */
  readonly timeoutMs: number

  /**
   * @param checkName - the check that ran out of time
   * @param timeoutMs - the timeout that passed, in milliseconds
   */
  constructor(checkName: string, timeoutMs: number) {
    super(HEALTH_CHECK_TIMEOUT, `Health check "${checkName}" took longer than ${timeoutMs} ms`)
    this.name = 'CheckTimeoutError'
    this.checkName = checkName
    this.timeoutMs = timeoutMs
  }
}

/** Code of {@link CloserTimeoutError}. */
export const HEALTH_CLOSER_TIMEOUT = 'BALLAST_HEALTH_CLOSER_TIMEOUT'

/**
 * A closer or server did not finish closing within its timeout during a
 * drain. The closer's signal was aborted with this error and the drain moved
 * on to the next one.
 */
export class CloserTimeoutError extends HealthError {
  /** Always `'BALLAST_HEALTH_CLOSER_TIMEOUT'`. */
  declare readonly code: typeof HEALTH_CLOSER_TIMEOUT
  /** The name the closer or server was registered under. */
  readonly closerName: string
  /** The timeout that passed, in milliseconds. */
  readonly timeoutMs: number

  /**
   * @param closerName - the closer that ran out of time
   * @param timeoutMs - the timeout that passed, in milliseconds
   */
  constructor(closerName: string, timeoutMs: number) {
    super(HEALTH_CLOSER_TIMEOUT, `Closing "${closerName}" took longer than ${timeoutMs} ms`)
    this.name = 'CloserTimeoutError'
    this.closerName = closerName
    this.timeoutMs = timeoutMs
  }
}

/** Code of {@link HealthClosedError}. */
export const HEALTH_CLOSED = 'BALLAST_HEALTH_CLOSED'

/**
 * The health object was closed (by `close()` or at the end of a drain), so it
 * runs no more checks and no second drain. Running checks are aborted with it.
 */
export class HealthClosedError extends HealthError {
  /** Always `'BALLAST_HEALTH_CLOSED'`. */
  declare readonly code: typeof HEALTH_CLOSED

  /** @param action - what was attempted, e.g. `'refresh'` */
  constructor(action: string) {
    super(HEALTH_CLOSED, `Cannot ${action}: the health object is closed`)
    this.name = 'HealthClosedError'
  }
}

/** Whether `error` is a {@link HealthError} of any kind, from any copy of this package. */
export function isHealthError(error: unknown): error is HealthError {
  const code = codeOf(error)
  return typeof code === 'string' && code.startsWith('BALLAST_HEALTH_')
}

/** Whether `error` is a {@link CheckTimeoutError}, from any copy of this package. */
export function isCheckTimeoutError(error: unknown): error is CheckTimeoutError {
  return codeOf(error) === HEALTH_CHECK_TIMEOUT
}

/** Whether `error` is a {@link CloserTimeoutError}, from any copy of this package. */
export function isCloserTimeoutError(error: unknown): error is CloserTimeoutError {
  return codeOf(error) === HEALTH_CLOSER_TIMEOUT
}

/** Whether `error` is a {@link HealthClosedError}, from any copy of this package. */
export function isHealthClosedError(error: unknown): error is HealthClosedError {
  return codeOf(error) === HEALTH_CLOSED
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { code?: unknown }).code
    : undefined
}

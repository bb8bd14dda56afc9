import { type Clock, systemClock } from './clock'
import { defaultIsFailure } from './isFailure'

/** A pino-compatible logger; the breaker only warns, and only when a listener throws. */
export interface BreakerLogger {
  /** Logs a warning with structured fields first, as pino does. */
  warn(obj: object, msg?: string): void
}

/** Options of {@link createBreaker}. Every field but `name` is optional. */
export interface BreakerOptions {
  /** The operation this breaker guards, e.g. `'pg:get_properties'`; used in errors and events. */
  readonly name: string
  /**
   * Count mode: the circuit opens when the rolling window holds this many
   * failures. Cannot be combined with `failureRateThreshold`.
   * @default 5
   */
  readonly failureThreshold?: number
  /**
   * Rate mode, chosen by setting this field: the circuit opens when failures
   * divided by calls in the rolling window reach this ratio (greater than 0, at
   * most 1) and the window holds at least `minimumCalls` calls. Cannot be
   * combined with `failureThreshold`.
   * @default undefined (count mode)
   */
  readonly failureRateThreshold?: number
  /**
   * Rate mode only: the fewest calls the window must hold before the rate is
   * judged, so a single failure after a quiet spell does not read as 100 %.
   * @default 10
   */
  readonly minimumCalls?: number
  /**
   * Length of the rolling window in milliseconds.
   * @default 60_000
   */
  readonly windowMs?: number
  /**
   * Number of buckets the window is split into. A call is forgotten between
   * `windowMs - windowMs / bucketCount` and `windowMs` after it ended.
   * @default 10
   */
  readonly bucketCount?: number
  /**
   * How long the circuit stays open before it turns half-open and admits
   * probes, in milliseconds. The first opening after the circuit was closed
   * lasts this long.
   * @default 30_000
   */
  readonly openMs?: number
  /**
   * Each reopening without the circuit having closed in between lasts this many
   * times longer than the previous one, up to `maxOpenMs`. `1` keeps the open
   * period fixed.
   * @default 1
   */
  readonly openMultiplier?: number
  /**
   * Cap on the growing open period, in milliseconds; at least `openMs`.
   * @default 10 * openMs (300_000 with the default openMs)
   */
  readonly maxOpenMs?: number
  /**
   * How many probe calls half-open admits. Every one must succeed to close the
   * circuit; any one failing reopens it.
   * @default 1
   */
  readonly halfOpenProbes?: number
  /**
   * Decides whether an error counts as a failure; errors it rejects count as
   * successful calls (the dependency answered). Not consulted for
   * `'BALLAST_TIMEOUT'` errors (always failures) nor for errors after the
   * caller's signal aborted (never failures).
   * @default defaultIsFailure
   */
  readonly isFailure?: (error: unknown) => boolean
  /**
   * Source of time for every decision and duration.
   * @default systemClock (Date.now)
   */
  readonly clock?: Clock
  /**
   * Receives a warning when an event listener throws.
   * @default undefined (silent)
   */
  readonly logger?: BreakerLogger
}

/** Breaker options with every default applied. */
export interface ResolvedBreakerOptions {
  readonly name: string
  /** `null` in rate mode. */
  readonly failureThreshold: number | null
  /** `null` in count mode. */
  readonly failureRateThreshold: number | null
  readonly minimumCalls: number
  readonly windowMs: number
  readonly bucketCount: number
  readonly openMs: number
  readonly openMultiplier: number
  readonly maxOpenMs: number
  readonly halfOpenProbes: number
  readonly isFailure: (error: unknown) => boolean
  readonly clock: Clock
  readonly logger: BreakerLogger | undefined
}

/**
 * Validates `options` and applies the defaults. `where` prefixes every message,
 * e.g. `'createBreaker: options'`.
 */
export function resolveBreakerOptions(
  options: BreakerOptions,
  where: string,
): ResolvedBreakerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where} must be an object, received ${describe(options)}`)
  }
  if (typeof options.name !== 'string' || options.name === '') {
    throw new TypeError(
      `${where}.name must be a non-empty string, received ${describe(options.name)}`,
    )
  }
  if (options.failureThreshold !== undefined && options.failureRateThreshold !== undefined) {
    throw new TypeError(
      `${where}.failureThreshold cannot be combined with failureRateThreshold ` +
        '(count mode or rate mode: choose one), received ' +
        `${describe(options.failureThreshold)} and ${describe(options.failureRateThreshold)}`,
    )
  }

  const openMs = positiveNumber(options.openMs, 30_000, `${where}.openMs`)
  const maxOpenMs = positiveNumber(options.maxOpenMs, openMs * 10, `${where}.maxOpenMs`)
  if (maxOpenMs < openMs) {
    throw new RangeError(
      `${where}.maxOpenMs must be at least openMs (${openMs}), received ${maxOpenMs}`,
    )
  }

  const rate = options.failureRateThreshold
  return {
    name: options.name,
    failureThreshold:
      rate === undefined
        ? positiveInteger(options.failureThreshold, 5, `${where}.failureThreshold`)
        : null,
    failureRateThreshold: rate === undefined ? null : ratio(rate, `${where}.failureRateThreshold`),
    minimumCalls: positiveInteger(options.minimumCalls, 10, `${where}.minimumCalls`),
    windowMs: positiveNumber(options.windowMs, 60_000, `${where}.windowMs`),
    bucketCount: positiveInteger(options.bucketCount, 10, `${where}.bucketCount`),
    openMs,
    openMultiplier: multiplier(options.openMultiplier, `${where}.openMultiplier`),
    maxOpenMs,
    halfOpenProbes: positiveInteger(options.halfOpenProbes, 1, `${where}.halfOpenProbes`),
    isFailure: callable(options.isFailure, defaultIsFailure, `${where}.isFailure`),
    clock: clockOption(options.clock, `${where}.clock`),
    logger: loggerOption(options.logger, `${where}.logger`),
  }
}

function positiveInteger(value: unknown, fallback: number, path: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') {
    throw new TypeError(`${path} must be a positive integer, received ${describe(value)}`)
  }
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${path} must be a positive integer, received ${describe(value)}`)
  }

  return value
}

function positiveNumber(value: unknown, fallback: number, path: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') {
    throw new TypeError(`${path} must be a positive finite number, received ${describe(value)}`)
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${path} must be a positive finite number, received ${describe(value)}`)
  }

  return value
}

function ratio(value: unknown, path: string): number {
  if (typeof value !== 'number') {
    throw new TypeError(
      `${path} must be a number above 0 and at most 1, received ${describe(value)}`,
    )
  }
  if (!(value > 0 && value <= 1)) {
    throw new RangeError(
      `${path} must be a number above 0 and at most 1, received ${describe(value)}`,
    )
  }

  return value
}

function multiplier(value: unknown, path: string): number {
  if (value === undefined) return 1
  if (typeof value !== 'number') {
    throw new TypeError(
      `${path} must be a finite number of at least 1, received ${describe(value)}`,
    )
  }
  if (!Number.isFinite(value) || value < 1) {
    throw new RangeError(
      `${path} must be a finite number of at least 1, received ${describe(value)}`,
    )
  }

  return value
}

function callable<F extends (...args: never[]) => unknown>(
  value: F | undefined,
  fallback: F,
  path: string,
): F {
  if (value === undefined) return fallback
  if (typeof value !== 'function') {
    throw new TypeError(`${path} must be a function, received ${describe(value)}`)
  }

  return value
}

function clockOption(value: Clock | undefined, path: string): Clock {
  if (value === undefined) return systemClock
  if (typeof value !== 'object' || value === null || typeof value.now !== 'function') {
    throw new TypeError(
      `${path} must be an object with a now() method, received ${describe(value)}`,
    )
  }

  return value
}

function loggerOption(value: BreakerLogger | undefined, path: string): BreakerLogger | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || typeof value.warn !== 'function') {
    throw new TypeError(
      `${path} must be an object with a warn() method, received ${describe(value)}`,
    )
  }

  return value
}

/** Renders a received value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? 'an array' : 'an object'

  return String(value)
}

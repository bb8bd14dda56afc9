import type { HealthCheck } from './check'
import { type Clock, systemClock } from './clock'
import { describe } from './describe'
import type { HealthLogger } from './logger'
import { type HealthSources, resolveSources, type SourceLists } from './sources'

/** The longest delay `setTimeout` honours, in milliseconds. */
export const MAX_TIMER_MS = 2_147_483_647

/** Options of {@link createHealth}. Every field is optional. */
export interface HealthOptions {
  /**
   * The dependency checks; names must be unique.
   * @default []
   */
  readonly checks?: readonly HealthCheck[]
  /**
   * Breakers, caches and timing recorders to include in the report; more can
   * be added with `health.addSources`.
   * @default {}
   */
  readonly sources?: HealthSources
  /**
   * The report's `version`: the public version of the service.
   * @default undefined (left out)
   */
  readonly version?: string
  /**
   * The report's `releaseId`: the build or release, e.g. a commit hash.
   * @default undefined (left out)
   */
  readonly releaseId?: string
  /**
   * The report's `serviceId`: an identifier of this instance, e.g. the pod name.
   * @default undefined (left out)
   */
  readonly serviceId?: string
  /**
   * The report's `description`.
   * @default undefined (left out)
   */
  readonly description?: string
  /**
   * How long a drain keeps serving after readiness turns to 503 and before the
   * servers stop accepting connections, in milliseconds. Load balancers and
   * Kubernetes endpoints learn of the change only after a probe period and some
   * propagation; stopping sooner refuses connections they still send. Use about
   * `periodSeconds x failureThreshold` of the readiness probe, or 0 in tests and
   * development.
   * @default 5_000
   */
  readonly readinessDelayMs?: number
  /**
   * How long a drain waits, once the servers stop accepting, for requests in
   * flight to finish, in milliseconds. Connections still open at the end are
   * closed.
   * @default 10_000
   */
  readonly graceMs?: number
  /**
   * How long each server and each closer may take to close during a drain, in
   * milliseconds, unless the closer sets its own.
   * @default 5_000
   */
  readonly closerTimeoutMs?: number
  /**
   * When set, liveness fails while the event loop was late by more than this
   * many milliseconds at its last sample (one each second, from `start()`).
   * Choose a limit far above normal lag (hundreds of milliseconds): liveness
   * failing restarts the process.
   * @default undefined (liveness ignores the event loop)
   */
  readonly maxEventLoopDelayMs?: number
  /**
   * The clock check times, drain durations and report times are read from;
   * epoch milliseconds.
   * @default systemClock (Date.now())
   */
  readonly clock?: Clock
  /**
   * Receives a warning when an event listener throws. Nothing else is logged.
   * @default undefined (silent)
   */
  readonly logger?: HealthLogger
}

/** A check with every default applied. */
export interface ResolvedCheck {
  readonly name: string
  readonly run: HealthCheck['run']
  readonly critical: boolean
  readonly timeoutMs: number
  readonly intervalMs: number
  readonly key: string
  readonly componentType: string
  readonly componentId: string | undefined
}

/** Health options with every default applied. */
export interface ResolvedHealthOptions {
  readonly checks: readonly ResolvedCheck[]
  readonly sources: SourceLists
  readonly identity: Identity
  readonly readinessDelayMs: number
  readonly graceMs: number
  readonly closerTimeoutMs: number
  readonly maxEventLoopDelayMs: number | undefined
  readonly clock: Clock
  readonly logger: HealthLogger | undefined
}

/** The identity fields a report starts with. */
export interface Identity {
  readonly version?: string
  readonly releaseId?: string
  readonly serviceId?: string
  readonly description?: string
}

/** Validates `options` and applies the defaults. */
export function resolveHealthOptions(options: HealthOptions): ResolvedHealthOptions {
  const where = 'createHealth: options'
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${where} must be an object, received ${describe(options)}`)
  }

  return {
    checks: resolveChecks(options.checks, `${where}.checks`),
    sources: resolveSources(options.sources, `${where}.sources`),
    identity: resolveIdentity(options, where),
    readinessDelayMs: duration(options.readinessDelayMs, 5_000, `${where}.readinessDelayMs`),
    graceMs: duration(options.graceMs, 10_000, `${where}.graceMs`),
    closerTimeoutMs: positiveDuration(options.closerTimeoutMs, 5_000, `${where}.closerTimeoutMs`),
    maxEventLoopDelayMs:
      options.maxEventLoopDelayMs === undefined
        ? undefined
        : positiveDuration(options.maxEventLoopDelayMs, 0, `${where}.maxEventLoopDelayMs`),
    clock: clockOption(options.clock, `${where}.clock`),
    logger: loggerOption(options.logger, `${where}.logger`),
  }
}

function resolveChecks(checks: readonly HealthCheck[] | undefined, where: string) {
  if (checks === undefined) return []
  if (!Array.isArray(checks)) {
    throw new TypeError(`${where} must be an array of checks, received ${describe(checks)}`)
  }

  const names = new Set<string>()
  return checks.map((check: HealthCheck, index) => {
    const resolved = resolveCheck(check, `${where}[${index}]`)
    if (names.has(resolved.name)) {
      throw new RangeError(
        `${where}[${index}].name must be unique among the checks, ` +
          `received ${describe(resolved.name)} a second time`,
      )
    }
    names.add(resolved.name)

    return resolved
  })
}

/** Validates one check and applies its defaults. `where` prefixes every message. */
export function resolveCheck(check: HealthCheck, where: string): ResolvedCheck {
  if (typeof check !== 'object' || check === null || Array.isArray(check)) {
    throw new TypeError(`${where} must be an object, received ${describe(check)}`)
  }
  const name = nonEmptyString(check.name, `${where}.name`)
  if (typeof check.run !== 'function') {
    throw new TypeError(`${where}.run must be a function, received ${describe(check.run)}`)
  }
  const critical = flag(check.critical, true, `${where}.critical`)
  const intervalMs = positiveDuration(
    check.intervalMs,
    critical ? 30_000 : 60_000,
    `${where}.intervalMs`,
  )
  const timeoutMs = positiveDuration(
    check.timeoutMs,
    Math.min(5_000, intervalMs),
    `${where}.timeoutMs`,
  )
  if (timeoutMs > intervalMs) {
    throw new RangeError(
      `${where}.timeoutMs must be at most intervalMs (${intervalMs}), received ${timeoutMs}`,
    )
  }
  const measurement = optionalString(check.measurement, `${where}.measurement`) ?? 'responseTime'

  return {
    name,
    run: check.run,
    critical,
    timeoutMs,
    intervalMs,
    key: `${name}:${measurement}`,
    componentType: optionalString(check.componentType, `${where}.componentType`) ?? 'component',
    componentId: optionalString(check.componentId, `${where}.componentId`),
  }
}

function resolveIdentity(options: HealthOptions, where: string): Identity {
  const identity: { -readonly [K in keyof Identity]: Identity[K] } = {}
  for (const field of ['version', 'releaseId', 'serviceId', 'description'] as const) {
    const value = optionalString(options[field], `${where}.${field}`)
    if (value !== undefined) identity[field] = value
  }

  return identity
}

/** A duration of 0 or more milliseconds that a timer can hold. */
export function duration(value: unknown, fallback: number, path: string): number {
  if (value === undefined) return fallback
  const expected = `a number of milliseconds from 0 to ${MAX_TIMER_MS}`
  if (typeof value !== 'number') {
    throw new TypeError(`${path} must be ${expected}, received ${describe(value)}`)
  }
  if (!(value >= 0 && value <= MAX_TIMER_MS)) {
    throw new RangeError(`${path} must be ${expected}, received ${describe(value)}`)
  }

  return value
}

/** A duration above 0 milliseconds that a timer can hold. */
export function positiveDuration(value: unknown, fallback: number, path: string): number {
  if (value === undefined) return fallback
  const expected = `a number of milliseconds above 0 and at most ${MAX_TIMER_MS}`
  if (typeof value !== 'number') {
    throw new TypeError(`${path} must be ${expected}, received ${describe(value)}`)
  }
  if (!(value > 0 && value <= MAX_TIMER_MS)) {
    throw new RangeError(`${path} must be ${expected}, received ${describe(value)}`)
  }

  return value
}

/** A string with at least one character. */
export function nonEmptyString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${path} must be a non-empty string, received ${describe(value)}`)
  }

  return value
}

function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : nonEmptyString(value, path)
}

function flag(value: unknown, fallback: boolean, path: string): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw new TypeError(`${path} must be a boolean, received ${describe(value)}`)
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

function loggerOption(value: HealthLogger | undefined, path: string): HealthLogger | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || typeof value.warn !== 'function') {
    throw new TypeError(
      `${path} must be an object with a warn() method, received ${describe(value)}`,
    )
  }

  return value
}

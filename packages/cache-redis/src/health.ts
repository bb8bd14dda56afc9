import type { Redis } from 'ioredis'
import { call } from './call'

/**
 * What a health check reports besides passing, in the shape `@ballast/health` reads (a
 * structural copy, so neither package needs the other).
 */
export interface HealthOutcome {
  /** `pass`, `warn` or `fail`. */
  readonly status?: 'pass' | 'warn' | 'fail'
  /** What was measured. */
  readonly observedValue?: number | string | boolean | null
  /** The unit of `observedValue`. */
  readonly observedUnit?: string
  /** Why the status is not `pass`. */
  readonly output?: string
}

/** A dependency check in the shape `@ballast/health` registers. */
export interface HealthCheck {
  /** The component's name in the report. */
  readonly name: string
  /** Whether readiness depends on it. */
  readonly critical: boolean
  /** The report's component type. */
  readonly componentType: string
  /** How long one run may take, in milliseconds. */
  readonly timeoutMs?: number
  /** How long between background runs, in milliseconds. */
  readonly intervalMs?: number
  /** Runs the check; rejects when the dependency fails. */
  run(signal: AbortSignal): Promise<HealthOutcome>
}

/** Settings of a health check. */
export interface HealthCheckOptions {
  /**
   * The component's name in the report.
   * @defaultValue `'redis'` for {@link redisHealthCheck}, `'cache-bus'` for a bus
   */
  readonly name?: string
  /**
   * Whether readiness depends on the check. The cache keeps serving from memory and from the
   * source while Redis is away, so by default it does not.
   * @defaultValue `false`
   */
  readonly critical?: boolean
  /**
   * How long one run may take, in milliseconds.
   * @defaultValue the health package's default
   */
  readonly timeoutMs?: number
  /**
   * How long between background runs, in milliseconds.
   * @defaultValue the health package's default
   */
  readonly intervalMs?: number
}

/** Fills in the fields every check of this package shares. */
export function checkShape(
  options: HealthCheckOptions | undefined,
  name: string,
  componentType: string,
  run: (signal: AbortSignal) => Promise<HealthOutcome>,
): HealthCheck {
  return {
    name: options?.name ?? name,
    critical: options?.critical ?? false,
    componentType,
    ...(options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options?.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    run,
  }
}

/**
 * A health check that sends `PING` and reports the round trip in milliseconds; it fails at
 * once while the connection is not ready.
 *
 * @example
 * ```ts
 * const health = createHealth({ checks: [redisHealthCheck(redis)] })
 * ```
 */
export function redisHealthCheck(redis: Redis, options?: HealthCheckOptions): HealthCheck {
  const timeoutMs = options?.timeoutMs ?? 1_000

  return checkShape(options, 'redis', 'datastore', async (signal) => {
    const started = performance.now()
    await call(redis, 'ping', timeoutMs, signal, () => redis.ping())

    return { status: 'pass', observedValue: performance.now() - started, observedUnit: 'ms' }
  })
}

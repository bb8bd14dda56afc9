import type { ObservedValue } from './healthJson'
import type { HealthStatus } from './status'

/**
 * What a check may resolve to besides nothing: a status other than `pass`, a
 * measured value with its unit, and an explanation.
 */
export interface CheckOutcome {
  /**
   * The status of the dependency; `warn` keeps readiness up while flagging a
   * concern.
   * @default 'pass'
   */
  readonly status?: HealthStatus
  /**
   * What the check measured, e.g. pool connections in use.
   * @default the run's duration in milliseconds
   */
  readonly observedValue?: ObservedValue
  /**
   * The unit of `observedValue`.
   * @default 'ms' with the default observed value, otherwise none
   */
  readonly observedUnit?: string
  /**
   * Why the status is `warn` or `fail`. Reports leave it out on `pass`.
   * @default undefined
   */
  readonly output?: string
}

/**
 * What a check's `run` returns: nothing or `true` to pass, `false` to fail, or
 * a {@link CheckOutcome}. Throwing or rejecting fails the check with the
 * error's message as `output`.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: lets `async () => { await ping() }` be a check
export type CheckReturn = CheckOutcome | boolean | undefined | void

/** A dependency check, run in the background and on demand, never by a probe. */
export interface HealthCheck {
  /**
   * The component's name, unique among the checks, e.g. `'postgres'`. It is the
   * first half of the report key `"<name>:<measurement>"`.
   */
  readonly name: string
  /**
   * Checks the dependency. It receives a signal that aborts when the check's
   * `timeoutMs` passes (or the health object closes); a check that ignores it
   * still counts as failed at the timeout, and what it settles to later is
   * dropped.
   */
  readonly run: (signal: AbortSignal) => CheckReturn | PromiseLike<CheckReturn>
  /**
   * Whether readiness depends on this check. A critical check that fails, or
   * has no result yet, makes readiness and the report `fail`; a non-critical
   * one that fails only makes the report `warn`.
   * @default true
   */
  readonly critical?: boolean
  /**
   * How long one run may take before it counts as failed, in milliseconds; at
   * most `intervalMs`.
   * @default 5_000, or `intervalMs` when that is shorter
   */
  readonly timeoutMs?: number
  /**
   * How long after one run settles the next background run starts, in
   * milliseconds.
   * @default 30_000 for a critical check, 60_000 for others
   */
  readonly intervalMs?: number
  /**
   * The second half of the report key, e.g. `'connections'`.
   * @default 'responseTime'
   */
  readonly measurement?: string
  /**
   * The report's `componentType`: `'component'`, `'datastore'`, `'system'` or
   * a type of your own.
   * @default 'component'
   */
  readonly componentType?: string
  /**
   * The report's `componentId`, e.g. a database host.
   * @default undefined (left out)
   */
  readonly componentId?: string
}

/** The settled result of one run of a check. */
export interface CheckResult {
  /** The check's name. */
  readonly name: string
  /** Whether readiness depends on the check. */
  readonly critical: boolean
  /** The run's status; `fail` when it threw, rejected, returned `false` or timed out. */
  readonly status: HealthStatus
  /** What the check reported, or the run's duration in milliseconds. */
  readonly observedValue: ObservedValue
  /** The unit of `observedValue`, if any. */
  readonly observedUnit: string | undefined
  /** Why the status is `warn` or `fail`, if known. */
  readonly output: string | undefined
  /** What the run threw or rejected with (a `CheckTimeoutError` on timeout); else undefined. */
  readonly error: unknown
  /** How long the run took by the clock, in milliseconds. */
  readonly durationMs: number
  /** Clock time at which the run settled. */
  readonly time: number
}

import type { BreakerState } from './state'

/** Lifetime counters of a breaker; `reset()` keeps them. */
export interface BreakerTotals {
  /** Calls that did not count as failures, since the breaker was created. */
  readonly successes: number
  /** Calls that counted as failures, since the breaker was created. */
  readonly failures: number
  /** Calls rejected with a `CircuitOpenError`, since the breaker was created. */
  readonly rejections: number
}

/**
 * A breaker's state at one clock time, for health reports. A plain object that
 * `JSON.stringify` renders whole.
 */
export interface BreakerSnapshot {
  /** Name of the breaker. */
  readonly name: string
  /** Effective state at the time of the snapshot. */
  readonly state: BreakerState
  /** Whether `isolate()` holds the circuit open. */
  readonly isolated: boolean
  /** Failures in the rolling window. */
  readonly failures: number
  /** Calls in the rolling window, failures included. */
  readonly calls: number
  /** Lifetime counters. */
  readonly totals: BreakerTotals
  /** Clock time the circuit last opened; `null` while closed. */
  readonly openedAt: number | null
  /**
   * Clock time from which a probe is admitted (in the past once half-open);
   * `null` while closed and while isolated.
   */
  readonly nextAttemptAt: number | null
}

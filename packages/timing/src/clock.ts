/**
 * A source of time in milliseconds. Durations and rolling windows are read
 * from it, never from timers, so tests can move time by hand.
 */
export interface Clock {
  /** The current time in milliseconds; only differences between calls matter. */
  now(): number
}

/** The default clock: `performance.now()`, monotonic and sub-millisecond. */
export const monotonicClock: Clock = { now: () => performance.now() }

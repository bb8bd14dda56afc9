/**
 * A source of time in milliseconds.
 *
 * The breaker takes every decision from this clock and never from a pending
 * timer, so a test can drive it by advancing a fake clock, and a breaker never
 * keeps a process alive.
 */
export interface Clock {
  /** Returns the current time in milliseconds. */
  now(): number
}

/**
 * The clock a breaker uses unless given one: `Date.now`, so `openedAt` and
 * `nextAttemptAt` are epoch milliseconds.
 */
export const systemClock: Clock = { now: Date.now }

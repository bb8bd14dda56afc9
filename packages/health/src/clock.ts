/**
 * A source of wall-clock time in epoch milliseconds.
 *
 * Check results, drain durations and the `time` fields of a report are read
 * from it. It must count epoch milliseconds, because reports render it as an
 * ISO 8601 date.
 */
export interface Clock {
  /** Returns the current time in epoch milliseconds. */
  now(): number
}

/**
 * The clock used unless one is given. It calls `Date.now()` on every reading
 * rather than holding a reference to it, so fake timers that replace `Date`
 * move it too.
 */
export const systemClock: Clock = { now: () => Date.now() }

/** A source of the current time in milliseconds. Tests pass one they can move by hand. */
export interface Clock {
  /** The current time in milliseconds; only differences between readings matter. */
  now(): number
}

/** The clock used when none is given: wall-clock milliseconds from `Date.now`. */
export const systemClock: Clock = { now: Date.now }

/** A source of the current time in milliseconds. Tests pass one they can move by hand. */
export interface Clock {
  /** The current time in milliseconds; only differences between readings matter. */
  now(): number
}

let turnTime: number | undefined

function forgetTurnTime(): void {
  turnTime = undefined
}

/**
 * The clock used when none is given: wall-clock milliseconds from `Date.now`, read at most
 * once per turn of the event loop.
 *
 * Reading the clock is a system call on some virtual machines (a few hundred nanoseconds,
 * more than the rest of a cache hit), and every hit needs the time to check freshness. So
 * the first reading in a turn is kept until the loop's next check phase, cleared by a
 * `setImmediate` that never delays process exit. Every reading within one turn is the same:
 * an entry can outlive its freshness by at most the length of the turn that reads it, which
 * is harmless for TTLs. Invalidation never depends on the clock.
 */
export const systemClock: Clock = {
  now() {
    if (turnTime === undefined) {
      turnTime = Date.now()
      setImmediate(forgetTurnTime)
    }

    return turnTime
  },
}

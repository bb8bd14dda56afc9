import type { Clock } from './clock'

/** How often the event loop is sampled, in milliseconds. */
export const EVENT_LOOP_SAMPLE_MS = 1_000

/**
 * Measures how late an unref()ed interval timer fires: a timer due every
 * second that fires 800 ms late means the event loop was blocked for about
 * that long. It is coarse (one sample a second, at the clock's resolution),
 * which is enough to tell a wedged process from a busy one; it cannot see a
 * block shorter than the time between two samples.
 */
export class EventLoopSampler {
  /** How late the last sample fired, in milliseconds. */
  delayMs = 0

  private readonly clock: Clock
  private readonly onSample: () => void
  private timer: ReturnType<typeof setInterval> | undefined
  private last = 0

  constructor(clock: Clock, onSample: () => void) {
    this.clock = clock
    this.onSample = onSample
  }

  start(): void {
    if (this.timer !== undefined) return

    this.last = this.clock.now()
    this.timer = setInterval(() => this.sample(), EVENT_LOOP_SAMPLE_MS)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private sample(): void {
    const now = this.clock.now()
    this.delayMs = Math.max(0, now - this.last - EVENT_LOOP_SAMPLE_MS)
    this.last = now
    this.onSample()
  }
}

import { Histogram, type HistogramOptions } from './histogram'
import type { LatencyStats } from './snapshot'

/** How a recorded call ended. */
export type Outcome = typeof SUCCEEDED | typeof FAILED | typeof TIMED_OUT
export const SUCCEEDED = 0
export const FAILED = 1
export const TIMED_OUT = 2

/** A histogram of durations with the counters that go with it. */
export class Tally {
  readonly histogram: Histogram
  errors = 0
  timeouts = 0
  violations = 0

  constructor(histogramOptions: HistogramOptions) {
    this.histogram = new Histogram(histogramOptions)
  }

  add(durationMs: number, outcome: Outcome, violated: boolean): void {
    this.histogram.record(durationMs)
    if (outcome !== SUCCEEDED) this.errors++
    if (outcome === TIMED_OUT) this.timeouts++
    if (violated) this.violations++
  }

  merge(other: Tally): void {
    this.histogram.merge(other.histogram)
    this.errors += other.errors
    this.timeouts += other.timeouts
    this.violations += other.violations
  }

  reset(): void {
    this.histogram.reset()
    this.errors = 0
    this.timeouts = 0
    this.violations = 0
  }

  /** The tally as snapshot statistics, durations rounded to the microsecond. */
  describe(): LatencyStats {
    const { histogram, errors, timeouts, violations } = this
    const count = histogram.count

    return {
      count,
      errors,
      timeouts,
      violations,
      withinBudget: count === 0 ? 1 : (count - violations) / count,
      min: toMicros(histogram.min),
      mean: toMicros(histogram.mean),
      p50: toMicros(histogram.percentile(50)),
      p95: toMicros(histogram.percentile(95)),
      p99: toMicros(histogram.percentile(99)),
      max: toMicros(histogram.max),
    }
  }
}

/** One slice of the rolling window: the tally of one epoch. */
class Slot extends Tally {
  epoch = 0
}

/**
 * Everything recorded about one operation: a total tally and a ring of
 * `slotCount` slots, one per epoch of `windowMs / slotCount` milliseconds.
 * A slot is allocated the first time a record lands in it and reused (reset)
 * when its epoch comes round again, so memory stays fixed and no timer runs.
 */
export class OperationStats {
  readonly budgetClass: string
  readonly budgetMs: number
  readonly total: Tally
  readonly #slots: (Slot | undefined)[]
  readonly #histogramOptions: HistogramOptions

  constructor(
    budgetClass: string,
    budgetMs: number,
    slotCount: number,
    histogramOptions: HistogramOptions,
  ) {
    this.budgetClass = budgetClass
    this.budgetMs = budgetMs
    this.total = new Tally(histogramOptions)
    this.#slots = new Array<Slot | undefined>(slotCount).fill(undefined)
    this.#histogramOptions = histogramOptions
  }

  add(durationMs: number, outcome: Outcome, violated: boolean, epoch: number): void {
    this.total.add(durationMs, outcome, violated)
    this.#slotFor(epoch).add(durationMs, outcome, violated)
  }

  /** Resets `target` to the sum of the slots inside the window ending at `epoch`. */
  windowInto(target: Tally, epoch: number): void {
    target.reset()

    const oldest = epoch - this.#slots.length
    for (const slot of this.#slots) {
      if (slot !== undefined && slot.epoch > oldest && slot.epoch <= epoch) target.merge(slot)
    }
  }

  #slotFor(epoch: number): Slot {
    const count = this.#slots.length
    const index = ((epoch % count) + count) % count
    let slot = this.#slots[index]

    if (slot === undefined) {
      slot = new Slot(this.#histogramOptions)
      this.#slots[index] = slot
    } else if (slot.epoch !== epoch) {
      slot.reset()
    }
    slot.epoch = epoch
    return slot
  }
}

function toMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

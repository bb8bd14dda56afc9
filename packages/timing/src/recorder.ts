import type { Clock } from './clock'
import { describeValue } from './describeValue'
import { Emitter } from './emitter'
import { isTimeoutError } from './errors'
import { FAILED, OperationStats, type Outcome, SUCCEEDED, Tally, TIMED_OUT } from './operationStats'
import {
  type DefaultBudgetClass,
  type RecorderOptions,
  type ResolvedRecorderOptions,
  resolveRecorderOptions,
} from './recorderOptions'
import type { OperationSnapshot, RecorderSnapshot } from './snapshot'
import { DeadlineCall, type DeadlineOptions, invalidArguments } from './withDeadline'

/**
 * The name calls are recorded under once `maxOperations` distinct names have
 * been seen. It is not counted in `maxOperations`.
 */
export const OVERFLOW_OPERATION = '(overflow)'

/** Emitted when a call takes longer than the budget of its class. */
export interface ViolationEvent<C extends string = string> {
  /** The operation name the caller gave (even if it was recorded as overflow). */
  readonly operation: string
  /** The budget class the call named. */
  readonly class: C
  /** How long the call took, in milliseconds. */
  readonly durationMs: number
  /** The budget of that class, in milliseconds. */
  readonly budgetMs: number
  /** Whether the call failed (threw, rejected, timed out or was aborted). */
  readonly failed: boolean
}

/** The events of a {@link Recorder}, by name. */
export interface RecorderEvents<C extends string = string> {
  /** A call took longer than its budget, whether it succeeded or failed. */
  violation: ViolationEvent<C>
}

/** Options of `recorder.record()`. */
export interface RecordOptions {
  /** Count the call as an error. @default false */
  readonly failed?: boolean
  /** Count the call as a timeout (and so as an error). @default false */
  readonly timedOut?: boolean
}

/** Times operations against latency budgets and keeps their percentiles. */
export interface Recorder<C extends string = DefaultBudgetClass> {
  /** The budget of each class, in milliseconds, defaults included. */
  readonly budgets: Readonly<Record<C, number>>
  /** The deadline every `time()` call runs under, in milliseconds. */
  readonly hardLimitMs: number

  /**
   * Runs `fn` under `withDeadline(fn, hardLimitMs, options)` and records how
   * long it took under `operation`, successes and failures alike. Settles as
   * `fn` does; rejects with a `TimeoutError` at the hard limit, or a
   * `TypeError` without calling `fn` if the class is unknown. A call whose
   * signal is already aborted rejects with its reason and is not recorded.
   * @param budgetClass - the class whose budget the call is judged against
   * @param operation - a stable name, such as a route pattern or query name
   * @param fn - the work; it receives a signal that aborts at the hard limit
   * @param options - the caller's signal
   */
  time<T>(
    budgetClass: C,
    operation: string,
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    options?: DeadlineOptions,
  ): Promise<T>

  /**
   * Records a duration measured elsewhere, such as by a database client hook.
   * @param durationMs - a finite number >= 0
   * @throws TypeError for an unknown class; RangeError for a bad duration
   */
  record(budgetClass: C, operation: string, durationMs: number, options?: RecordOptions): void

  /**
   * Subscribes to an event. A listener that throws is reported to the
   * logger and does not affect the call.
   * @returns a function that unsubscribes
   */
  on<E extends keyof RecorderEvents<C>>(
    event: E,
    listener: (event: RecorderEvents<C>[E]) => void,
  ): () => void

  /** Statistics of every operation plus process memory, as plain JSON-ready data. */
  snapshot(): RecorderSnapshot<C>
}

/**
 * Creates a recorder that times operations against per-class latency budgets,
 * emits `violation` events and keeps rolling and all-time percentiles per
 * operation in fixed memory.
 *
 * @example
 * ```ts
 * const recorder = createRecorder({ budgets: { search: 800 } })
 * recorder.on('violation', (event) => logger.warn(event, 'over budget'))
 * const rows = await recorder.time('read', 'GET /properties', (signal) => list(signal))
 * ```
 */
export function createRecorder<C extends string = DefaultBudgetClass>(
  options: RecorderOptions<C> = {},
): Recorder<C | DefaultBudgetClass> {
  return new BudgetRecorder<C | DefaultBudgetClass>(
    resolveRecorderOptions(options as RecorderOptions<string>),
  )
}

class BudgetRecorder<C extends string> implements Recorder<C> {
  readonly budgets: Readonly<Record<C, number>>
  readonly hardLimitMs: number
  readonly #options: ResolvedRecorderOptions
  readonly #budgets: ReadonlyMap<string, number>
  readonly #clock: Clock
  readonly #slotMs: number
  readonly #operations = new Map<string, OperationStats>()
  readonly #scratch: Tally
  readonly #emitter: Emitter<RecorderEvents<C>>
  #overflow: OperationStats | undefined
  // Starts at 0: a clock reading below 0 (or NaN) counts as the first slot.
  #latestEpoch = 0

  constructor(options: ResolvedRecorderOptions) {
    this.#options = options
    this.#budgets = options.budgets
    this.#clock = options.clock
    this.#slotMs = options.windowMs / options.windowSlots
    this.#scratch = new Tally(options.histogram)
    this.#emitter = new Emitter('recorder', ['violation'], options.logger)
    this.budgets = Object.freeze(Object.fromEntries(options.budgets)) as Record<C, number>
    this.hardLimitMs = options.hardLimitMs
  }

  time<T>(
    budgetClass: C,
    operation: string,
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    options?: DeadlineOptions,
  ): Promise<T> {
    const budgetMs = this.#budgets.get(budgetClass)
    if (budgetMs === undefined || typeof operation !== 'string') {
      return Promise.reject(this.#badCall('time', budgetClass, operation))
    }

    const invalid = invalidArguments('recorder.time', fn, this.hardLimitMs)
    if (invalid !== undefined) return Promise.reject(invalid)

    // A call the caller gave up on before it started is not a call: not recorded.
    const parent = options?.signal
    if (parent?.aborted) return Promise.reject(parent.reason)

    const call = new TimedCall<T, C>(this, budgetClass, budgetMs, operation, this.#clock.now())
    return call.run(fn, parent)
  }

  /**
   * Records a call `time()` ran, once it has settled. A throwing clock is
   * reported to the logger: the caller still gets the call's outcome.
   */
  timed(call: TimedCall<unknown, C>, error: unknown, failed: boolean): void {
    try {
      const end = this.#clock.now()
      const outcome = !failed ? SUCCEEDED : isTimeoutError(error) ? TIMED_OUT : FAILED
      const { budgetClass, budgetMs, operation } = call
      this.#observe(budgetClass, budgetMs, operation, end - call.start, end, outcome)
    } catch (recordError) {
      const fields = { err: recordError, operation: call.operation }
      this.#options.logger?.warn(fields, 'recorder could not record a call')
    }
  }

  record(budgetClass: C, operation: string, durationMs: number, options?: RecordOptions): void {
    const budgetMs = this.#budgets.get(budgetClass)
    if (budgetMs === undefined || typeof operation !== 'string') {
      throw this.#badCall('record', budgetClass, operation)
    }
    if (!(durationMs >= 0 && durationMs < Number.POSITIVE_INFINITY)) {
      throw new RangeError(
        `recorder.record: durationMs must be a finite number >= 0, ` +
          `received ${describeValue(durationMs)}`,
      )
    }

    const outcome = options?.timedOut ? TIMED_OUT : options?.failed ? FAILED : SUCCEEDED
    this.#observe(budgetClass, budgetMs, operation, durationMs, this.#clock.now(), outcome)
  }

  on<E extends keyof RecorderEvents<C>>(
    event: E,
    listener: (event: RecorderEvents<C>[E]) => void,
  ): () => void {
    return this.#emitter.on(event, listener)
  }

  snapshot(): RecorderSnapshot<C> {
    const epoch = this.#epochAt(this.#clock.now())
    const operations: OperationSnapshot<C>[] = []
    for (const [operation, stats] of this.#operations) {
      operations.push(this.#describe(operation, stats, epoch))
    }
    if (this.#overflow !== undefined) {
      operations.push(this.#describe(OVERFLOW_OPERATION, this.#overflow, epoch))
    }

    const { heapUsed, rss } = this.#options.memoryUsage()
    return {
      windowMs: this.#options.windowMs,
      hardLimitMs: this.hardLimitMs,
      memory: { heapUsed, rss },
      operations,
    }
  }

  /**
   * Records one call that took `durationMs` and ended at `end` (a clock
   * reading), and emits `violation` if it was over budget.
   */
  #observe(
    budgetClass: C,
    budgetMs: number,
    operation: string,
    durationMs: number,
    end: number,
    outcome: Outcome,
  ): void {
    // A clock that steps back or returns garbage must not poison the histogram.
    const duration = Number.isFinite(durationMs) ? Math.max(durationMs, 0) : 0
    const violated = duration > budgetMs

    const stats = this.#statsFor(operation, budgetClass, budgetMs)
    stats.add(duration, outcome, violated, this.#epochAt(end))

    if (violated && this.#emitter.has('violation')) {
      this.#emitter.emit('violation', {
        operation,
        class: budgetClass,
        durationMs: duration,
        budgetMs,
        failed: outcome !== SUCCEEDED,
      })
    }
  }

  #statsFor(operation: string, budgetClass: C, budgetMs: number): OperationStats {
    const known = this.#operations.get(operation)
    if (known !== undefined) return known

    const { windowSlots, histogram, maxOperations } = this.#options
    if (this.#operations.size < maxOperations) {
      const stats = new OperationStats(budgetClass, budgetMs, windowSlots, histogram)
      this.#operations.set(operation, stats)
      return stats
    }

    this.#overflow ??= new OperationStats(budgetClass, budgetMs, windowSlots, histogram)
    return this.#overflow
  }

  /**
   * The current slot number. It never goes back, so a clock that steps back
   * records into the latest slot instead of wiping a newer one.
   */
  #epochAt(now: number): number {
    const epoch = Math.floor(now / this.#slotMs)
    if (epoch > this.#latestEpoch) this.#latestEpoch = epoch
    return this.#latestEpoch
  }

  #describe(operation: string, stats: OperationStats, epoch: number): OperationSnapshot<C> {
    stats.windowInto(this.#scratch, epoch)

    return {
      operation,
      class: stats.budgetClass as C,
      budgetMs: stats.budgetMs,
      window: this.#scratch.describe(),
      total: stats.total.describe(),
    }
  }

  #badCall(method: string, budgetClass: unknown, operation: unknown): TypeError {
    if (typeof operation !== 'string') {
      return new TypeError(
        `recorder.${method}: operation must be a string, received ${describeValue(operation)}`,
      )
    }
    const known = [...this.#budgets.keys()].join(', ')
    return new TypeError(
      `recorder.${method}: budgetClass must be one of ${known}, ` +
        `received ${describeValue(budgetClass)}`,
    )
  }
}

/**
 * One `time()` call: a deadline call that reports to its recorder when it
 * ends, so timing a call costs no promise or closure beyond the deadline's.
 */
class TimedCall<T, C extends string> extends DeadlineCall<T> {
  readonly recorder: BudgetRecorder<C>
  readonly budgetClass: C
  readonly budgetMs: number
  readonly operation: string
  /** Clock reading when the call started. */
  readonly start: number

  constructor(
    recorder: BudgetRecorder<C>,
    budgetClass: C,
    budgetMs: number,
    operation: string,
    start: number,
  ) {
    super(recorder.hardLimitMs)
    this.recorder = recorder
    this.budgetClass = budgetClass
    this.budgetMs = budgetMs
    this.operation = operation
    this.start = start
  }

  protected override ended(error: unknown, failed: boolean): void {
    this.recorder.timed(this as TimedCall<unknown, C>, error, failed)
  }
}

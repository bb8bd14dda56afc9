import { type Clock, monotonicClock } from './clock'
import { describeValue } from './describeValue'
import type { TimingLogger } from './emitter'
import { type HistogramOptions, resolveHistogramOptions } from './histogram'
import type { MemorySample } from './snapshot'
import { MAX_DEADLINE_MS } from './withDeadline'

/** The budget classes every recorder knows. */
export type DefaultBudgetClass = 'critical' | 'read' | 'write' | 'delete'

/** The budget of each default class, in milliseconds. */
export const DEFAULT_BUDGETS: Readonly<Record<DefaultBudgetClass, number>> = Object.freeze({
  critical: 100,
  read: 200,
  write: 500,
  delete: 300,
})

/**
 * Budgets in milliseconds by class: any new class `C` with its budget, and
 * optionally new budgets for the default classes.
 */
export type BudgetMap<C extends string> = { readonly [K in C]: number } & {
  readonly [K in DefaultBudgetClass]?: number
}

/** Options of {@link createRecorder}. */
export interface RecorderOptions<C extends string = DefaultBudgetClass> {
  /**
   * Latency budgets in milliseconds by class, merged over the defaults. Each
   * must be a finite number > 0 and at most `hardLimitMs`. Keys that are not
   * default classes add classes.
   * @default { critical: 100, read: 200, write: 500, delete: 300 }
   */
  readonly budgets?: BudgetMap<C>
  /**
   * The deadline of every `time()` call, in milliseconds: at it the call's
   * signal aborts and the call rejects with a `TimeoutError`.
   * @default 5000
   */
  readonly hardLimitMs?: number
  /** The length of the rolling window, in milliseconds. @default 60000 */
  readonly windowMs?: number
  /**
   * How many slots the rolling window is cut into. The window reported covers
   * the last `windowMs` to within one slot (`windowMs / windowSlots`); each
   * slot costs one histogram per operation once used.
   * @default 6
   */
  readonly windowSlots?: number
  /**
   * The most operation names recorded separately. Calls under further names
   * are recorded under `OVERFLOW_OPERATION`, so names built from raw URLs
   * cannot grow memory without bound.
   * @default 1000
   */
  readonly maxOperations?: number
  /**
   * The histogram of each operation: resolution, range and precision, in
   * milliseconds.
   * @default { resolution: 0.001, maxValue: 3_600_000, precisionBits: 6 }
   */
  readonly histogram?: HistogramOptions
  /** Where durations and windows read time from. @default performance.now() */
  readonly clock?: Clock
  /**
   * Samples process memory for `snapshot()`.
   * @default process.memoryUsage
   */
  readonly memoryUsage?: () => MemorySample
  /**
   * Told when an event listener throws. Nothing else is logged.
   * @default undefined (silent)
   */
  readonly logger?: TimingLogger
}

/** Options after defaults and validation. */
export interface ResolvedRecorderOptions {
  readonly budgets: ReadonlyMap<string, number>
  readonly hardLimitMs: number
  readonly windowMs: number
  readonly windowSlots: number
  readonly maxOperations: number
  readonly histogram: HistogramOptions
  readonly clock: Clock
  readonly memoryUsage: () => MemorySample
  readonly logger: TimingLogger | undefined
}

/** Applies defaults and fails on bad options with a `TypeError` or `RangeError`. */
export function resolveRecorderOptions(options: RecorderOptions<string>): ResolvedRecorderOptions {
  const hardLimitMs = options.hardLimitMs ?? 5000
  if (!(hardLimitMs > 0 && hardLimitMs <= MAX_DEADLINE_MS)) {
    fail(RangeError, 'hardLimitMs', `a number > 0 and <= ${MAX_DEADLINE_MS}`, hardLimitMs)
  }
  const windowMs = options.windowMs ?? 60_000
  if (!(windowMs > 0 && windowMs < Number.POSITIVE_INFINITY)) {
    fail(RangeError, 'windowMs', 'a finite number > 0', windowMs)
  }
  const windowSlots = options.windowSlots ?? 6
  if (!Number.isSafeInteger(windowSlots) || windowSlots < 1) {
    fail(RangeError, 'windowSlots', 'a positive integer', windowSlots)
  }
  const maxOperations = options.maxOperations ?? 1000
  if (!Number.isSafeInteger(maxOperations) || maxOperations < 1) {
    fail(RangeError, 'maxOperations', 'a positive integer', maxOperations)
  }
  const clock = options.clock ?? monotonicClock
  if (typeof clock?.now !== 'function') {
    fail(TypeError, 'clock', 'an object with a now() method', clock)
  }
  const memoryUsage = options.memoryUsage ?? (() => process.memoryUsage())
  if (typeof memoryUsage !== 'function') {
    fail(TypeError, 'memoryUsage', 'a function', memoryUsage)
  }
  const logger = options.logger
  if (logger !== undefined && typeof logger?.warn !== 'function') {
    fail(TypeError, 'logger', 'an object with a warn() method', logger)
  }

  return {
    budgets: resolveBudgets(options.budgets, hardLimitMs),
    hardLimitMs,
    windowMs,
    windowSlots,
    maxOperations,
    histogram: resolveHistogramOptions(
      options.histogram ?? {},
      'createRecorder: options.histogram',
    ),
    clock,
    memoryUsage,
    logger,
  }
}

function resolveBudgets(
  budgets: Readonly<Record<string, unknown>> | undefined,
  hardLimitMs: number,
): ReadonlyMap<string, number> {
  if (budgets !== undefined && (typeof budgets !== 'object' || budgets === null)) {
    fail(TypeError, 'budgets', 'an object of budgets in milliseconds by class', budgets)
  }

  const merged = new Map<string, unknown>(Object.entries(DEFAULT_BUDGETS))
  for (const [budgetClass, budgetMs] of Object.entries(budgets ?? {})) {
    if (budgetMs !== undefined) merged.set(budgetClass, budgetMs)
  }

  const resolved = new Map<string, number>()
  for (const [budgetClass, budgetMs] of merged) {
    if (!(typeof budgetMs === 'number' && budgetMs > 0 && budgetMs <= hardLimitMs)) {
      const expected = `a number > 0 and <= hardLimitMs (${hardLimitMs})`
      fail(RangeError, `budgets.${budgetClass}`, expected, budgetMs)
    }
    resolved.set(budgetClass, budgetMs)
  }
  return resolved
}

function fail(
  kind: typeof TypeError | typeof RangeError,
  option: string,
  expected: string,
  received: unknown,
): never {
  throw new kind(
    `createRecorder: options.${option} must be ${expected}, received ${describeValue(received)}`,
  )
}

/**
 * Latency statistics of one operation over one period (the rolling window or
 * all time). Durations are in milliseconds, rounded to the microsecond; every
 * duration is 0 while `count` is 0.
 */
export interface LatencyStats {
  /** Calls recorded, failed ones included. */
  readonly count: number
  /** Calls that failed: threw, rejected, timed out or were aborted. */
  readonly errors: number
  /** Failed calls whose error was a `TimeoutError` (the hard limit or an inner deadline). */
  readonly timeouts: number
  /** Calls that took longer than the budget of their class. */
  readonly violations: number
  /** `(count - violations) / count`: the share of calls within budget; 1 while empty. */
  readonly withinBudget: number
  /** The fastest call. */
  readonly min: number
  /** The arithmetic mean. */
  readonly mean: number
  /** The median (50th percentile). */
  readonly p50: number
  /** The 95th percentile. */
  readonly p95: number
  /** The 99th percentile. */
  readonly p99: number
  /** The slowest call. */
  readonly max: number
}

/** One operation in a {@link RecorderSnapshot}. */
export interface OperationSnapshot<C extends string = string> {
  /** The operation's name, or `OVERFLOW_OPERATION` for names beyond `maxOperations`. */
  readonly operation: string
  /** The budget class the operation was first recorded with. */
  readonly class: C
  /** The budget of that class, in milliseconds. */
  readonly budgetMs: number
  /** Statistics over the rolling window (the last `windowMs`, to within one slot). */
  readonly window: LatencyStats
  /** Statistics since the recorder was created. */
  readonly total: LatencyStats
}

/** Process memory, in bytes, sampled when the snapshot was taken. */
export interface MemorySample {
  /** V8 heap in use. */
  readonly heapUsed: number
  /** Resident set size of the process. */
  readonly rss: number
}

/** What `recorder.snapshot()` returns: a plain, JSON-serialisable object. */
export interface RecorderSnapshot<C extends string = string> {
  /** The length of the rolling window, in milliseconds. */
  readonly windowMs: number
  /** The hard limit every `time()` call runs under, in milliseconds. */
  readonly hardLimitMs: number
  /** Process memory at snapshot time. */
  readonly memory: MemorySample
  /** One entry per operation, in order of first record; the overflow entry last. */
  readonly operations: readonly OperationSnapshot<C>[]
}

/** Latency percentiles of a set of requests, in milliseconds. */
export interface Latency {
  /** How many durations. */
  readonly count: number
  /** The median. */
  readonly p50: number
  /** The 95th percentile. */
  readonly p95: number
  /** The 99th percentile. */
  readonly p99: number
  /** The slowest. */
  readonly max: number
}

/** The value at quantile `q` (0 to 1) of `values` by nearest rank; 0 for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))

  return sorted[rank] as number
}

/** p50, p95, p99 and max of durations in milliseconds. */
export function latencyOf(durationsMs: readonly number[]): Latency {
  const sorted = [...durationsMs].sort((a, b) => a - b)
  const at = (q: number) => {
    if (sorted.length === 0) return 0
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
  }

  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  }
}

/** Rounds to two decimals, for figures people read. */
export function round(value: number, decimals = 2): number {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}

/** `part / whole` as a percentage with up to three decimals; 0 when `whole` is 0. */
export function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : round((100 * part) / whole, 3)
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): number {
  return round(bytes / 1024 / 1024, 1)
}

/** Counts of `items` by the key `keyOf` gives each. */
export function countBy<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const item of items) {
    const key = keyOf(item)
    counts[key] = (counts[key] ?? 0) + 1
  }

  return counts
}

import { describe, messageOf } from './describe'
import type { HealthCheckEntry, ObservedValue } from './healthJson'
import type { HealthStatus } from './status'

/**
 * The part of a breaker snapshot the report reads; `@ballast/breaker`'s
 * `BreakerSnapshot` fits, and so does any object with a name and a state.
 */
export interface BreakerStateSnapshot {
  /** The breaker's name, the component of its report key `"<name>:circuit"`. */
  readonly name: string
  /** `'closed'` passes; `'open'`, `'half-open'` (or `'halfOpen'`) and anything else warn. */
  readonly state: string
  /** Whether the circuit is held open by hand. */
  readonly isolated?: boolean
  /** Failures in the rolling window. */
  readonly failures?: number
  /** Calls in the rolling window. */
  readonly calls?: number
}

/**
 * Something that reports circuit states: one breaker (its `snapshot()` returns
 * one object) or a registry (an array).
 */
export interface BreakerSource {
  /** The state of each breaker now. */
  snapshot(): BreakerStateSnapshot | readonly BreakerStateSnapshot[]
}

/**
 * Something with counters, such as a cache: every finite number field of what
 * `stats()` returns is reported as an observed value. `@ballast/cache`'s
 * `Cache` fits.
 */
export interface StatsSource {
  /** Counters and sizes now; fields that are not finite numbers are left out. */
  stats(): object
}

/** The latency statistics of one operation the report reads. */
export interface TimingWindowStats {
  /** Calls in the window. */
  readonly count: number
  /** The median duration, in milliseconds. */
  readonly p50: number
  /** The 95th percentile, in milliseconds; judged against the budget. */
  readonly p95: number
  /** The 99th percentile, in milliseconds. */
  readonly p99: number
  /** Calls over budget in the window. */
  readonly violations?: number
}

/** One operation of a timing snapshot. */
export interface TimingOperationSnapshot {
  /** The operation's name, the component of its report keys. */
  readonly operation: string
  /** The budget class of the operation. */
  readonly class: string
  /** The budget of that class, in milliseconds. */
  readonly budgetMs: number
  /** Statistics over the rolling window. */
  readonly window: TimingWindowStats
}

/** The part of a timing snapshot the report reads; `@ballast/timing`'s recorder fits. */
export interface TimingSnapshot {
  /** One entry per operation. */
  readonly operations: readonly TimingOperationSnapshot[]
  /** Process memory, when sampled. */
  readonly memory?: TimingMemory
}

/** Process memory in a timing snapshot. */
export interface TimingMemory {
  /** V8 heap in use, in bytes. */
  readonly heapUsed: number
  /** Resident set size, in bytes. */
  readonly rss: number
}

/** Something that reports latency percentiles per operation. */
export interface TimingSource {
  /** Statistics of every operation now. */
  snapshot(): TimingSnapshot
}

/** Sources whose state the report includes, next to the checks. */
export interface HealthSources {
  /**
   * Circuit breakers: one breaker or a registry. Reported as
   * `"<breaker>:circuit"`; open and half-open are `warn`, never a failure.
   * @default undefined (none)
   */
  readonly breakers?: BreakerSource
  /**
   * Counters by component name, e.g. `{ properties: cache }`. Each finite number
   * field of `stats()` is reported as `"<name>:<field>"`, status `pass`.
   * @default undefined (none)
   */
  readonly caches?: Readonly<Record<string, StatsSource>>
  /**
   * Latency percentiles. Each operation is reported as `"<operation>:p50"`,
   * `":p95"` and `":p99"` in milliseconds, `p95` being `warn` while it is over
   * the budget; the memory sample as `"memory:heapUsed"` and `"memory:rss"`.
   * @default undefined (none)
   */
  readonly timing?: TimingSource
}

/** Sources after validation, as flat lists. */
export interface SourceLists {
  readonly breakers: BreakerSource[]
  readonly caches: Array<readonly [string, StatsSource]>
  readonly timing: TimingSource[]
}

/** Checks `sources` and splits it into the lists the report reads. */
export function resolveSources(sources: HealthSources | undefined, where: string): SourceLists {
  const lists: SourceLists = { breakers: [], caches: [], timing: [] }
  if (sources === undefined) return lists
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources)) {
    throw new TypeError(`${where} must be an object, received ${describe(sources)}`)
  }

  if (sources.breakers !== undefined) {
    lists.breakers.push(withMethod(sources.breakers, 'snapshot', `${where}.breakers`))
  }
  if (sources.timing !== undefined) {
    lists.timing.push(withMethod(sources.timing, 'snapshot', `${where}.timing`))
  }
  if (sources.caches !== undefined) {
    const caches = sources.caches
    if (typeof caches !== 'object' || caches === null || Array.isArray(caches)) {
      throw new TypeError(
        `${where}.caches must be an object of stats sources by name, received ${describe(caches)}`,
      )
    }
    for (const [name, source] of Object.entries(caches)) {
      lists.caches.push([name, withMethod(source, 'stats', `${where}.caches.${name}`)])
    }
  }

  return lists
}

function withMethod<T extends object>(value: T, method: string, path: string): T {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Record<string, unknown>)[method] !== 'function'
  ) {
    throw new TypeError(
      `${path} must be an object with a ${method}() method, received ${describe(value)}`,
    )
  }

  return value
}

/** Adds one element under `key`, beside any element already there. */
export type AddEntry = (key: string, entry: HealthCheckEntry) => void

/** Reports every breaker of `source`; a source that throws is reported as a warning. */
export function addBreakerEntries(source: BreakerSource, time: string, add: AddEntry): void {
  let snapshot: ReturnType<BreakerSource['snapshot']>
  try {
    snapshot = source.snapshot()
  } catch (error) {
    add('breakers:snapshot', sourceFailure(error, time))
    return
  }

  const breakers: readonly BreakerStateSnapshot[] = Array.isArray(snapshot)
    ? snapshot
    : [snapshot as BreakerStateSnapshot]
  for (const breaker of breakers) add(`${breaker.name}:circuit`, breakerEntry(breaker, time))
}

function breakerEntry(breaker: BreakerStateSnapshot, time: string): HealthCheckEntry {
  if (breaker.state === 'closed') return entry('component', breaker.state, undefined, 'pass', time)

  return entry('component', breaker.state, undefined, 'warn', time, circuitOutput(breaker))
}

function circuitOutput(breaker: BreakerStateSnapshot): string {
  const subject = `circuit ${breaker.state}`
  if (breaker.isolated === true) return `${subject}: isolated by hand`
  if (typeof breaker.failures !== 'number' || typeof breaker.calls !== 'number') return subject

  return `${subject}: ${breaker.failures} of ${breaker.calls} calls failed in the window`
}

/** Reports every finite number field of a stats source. */
export function addStatsEntries(
  name: string,
  source: StatsSource,
  time: string,
  add: AddEntry,
): void {
  let stats: object
  try {
    stats = source.stats()
  } catch (error) {
    add(`${name}:stats`, sourceFailure(error, time))
    return
  }

  for (const [field, value] of Object.entries(stats)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) continue
    add(`${name}:${field}`, entry('datastore', value, unitOf(field), 'pass', time))
  }
}

/** The unit a counter's name implies: ratios, bytes and milliseconds; plain counts have none. */
function unitOf(field: string): string | undefined {
  if (/ratio$/i.test(field)) return 'ratio'
  if (/bytes$/i.test(field)) return 'bytes'
  if (field.endsWith('Ms')) return 'ms'

  return undefined
}

/** Reports each operation's percentiles and the memory sample of a timing source. */
export function addTimingEntries(source: TimingSource, time: string, add: AddEntry): void {
  let snapshot: TimingSnapshot
  try {
    snapshot = source.snapshot()
  } catch (error) {
    add('timing:snapshot', sourceFailure(error, time))
    return
  }

  for (const operation of snapshot.operations) {
    const { window } = operation
    add(`${operation.operation}:p50`, millis(window.p50, 'pass', time))
    add(`${operation.operation}:p95`, p95Entry(operation, time))
    add(`${operation.operation}:p99`, millis(window.p99, 'pass', time))
  }

  if (snapshot.memory !== undefined) {
    const { heapUsed, rss } = snapshot.memory
    add('memory:heapUsed', entry('system', heapUsed, 'bytes', 'pass', time))
    add('memory:rss', entry('system', rss, 'bytes', 'pass', time))
  }
}

function p95Entry(operation: TimingOperationSnapshot, time: string): HealthCheckEntry {
  const { window, budgetMs } = operation
  if (window.count === 0 || window.p95 <= budgetMs) return millis(window.p95, 'pass', time)

  const over =
    typeof window.violations === 'number'
      ? `; ${window.violations} of ${window.count} calls over budget in the window`
      : ''
  const budget = `the ${budgetMs} ms budget of class ${operation.class}`
  const output = `p95 ${window.p95} ms is over ${budget}${over}`
  return entry('component', window.p95, 'ms', 'warn', time, output)
}

function millis(value: number, status: HealthStatus, time: string): HealthCheckEntry {
  return entry('component', value, 'ms', status, time)
}

function sourceFailure(error: unknown, time: string): HealthCheckEntry {
  const output = `the source threw: ${messageOf(error)}`
  return { componentType: 'component', status: 'warn', time, output }
}

/** Builds an element with its fields in the order the format lists them. */
function entry(
  componentType: string,
  observedValue: ObservedValue,
  observedUnit: string | undefined,
  status: HealthStatus,
  time: string,
  output?: string,
): HealthCheckEntry {
  return {
    componentType,
    observedValue,
    ...(observedUnit === undefined ? {} : { observedUnit }),
    status,
    time,
    ...(output === undefined ? {} : { output }),
  }
}

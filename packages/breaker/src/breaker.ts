import { CircuitBreaker } from './circuitBreaker'
import type { BreakerEventName, BreakerListener } from './events'
import { type BreakerOptions, resolveBreakerOptions } from './options'
import type { BreakerSnapshot } from './snapshot'
import type { BreakerState } from './state'

/** A circuit breaker guarding one operation. Create one with {@link createBreaker}. */
export interface Breaker {
  /** The operation this breaker guards. */
  readonly name: string
  /** The effective state at the clock's current time. */
  readonly state: BreakerState
  /**
   * Calls `fn` if the circuit allows it and returns what `fn` returns.
   *
   * `fn` receives `signal`, or one shared signal that never aborts when none is
   * given. While open, and in half-open beyond the allowed probes, the returned
   * promise rejects with a `CircuitOpenError` and `fn` is not called. If
   * `signal` is already aborted the promise rejects with its reason, without
   * calling `fn` or counting anything. Errors from `fn`, thrown or rejected,
   * reach the caller unchanged whether they count or not.
   */
  execute<T>(fn: (signal: AbortSignal) => T, signal?: AbortSignal): Promise<Awaited<T>>
  /**
   * Returns `fn` guarded by this breaker, in the shape a cache loader takes:
   * `(signal) => breaker.execute(fn, signal)`. The returned function passes
   * its signal on, so a layer outside (a cache, a request) can cancel the call
   * and the breaker tells that apart from a failure. Throws a `TypeError` at
   * once if `fn` is not a function.
   *
   * @example
   * ```ts
   * const load = breaker.wrap((signal) => withDeadline(query, 2_000, { signal }))
   * const rows = await cache.get('properties:list', load)
   * ```
   */
  wrap<T>(fn: (signal: AbortSignal) => T): (signal?: AbortSignal) => Promise<Awaited<T>>
  /**
   * Holds the circuit open until every isolation is released. Returns the
   * release function; calling it again does nothing. Releasing the last
   * isolation closes the circuit with an empty window.
   */
  isolate(): () => void
  /**
   * Closes the circuit, empties the window, drops every isolation and the
   * growth of the open period. Lifetime totals are kept.
   */
  reset(): void
  /** The breaker's state at the clock's current time, as a plain object. */
  snapshot(): BreakerSnapshot
  /** Subscribes to one kind of event; returns a function that unsubscribes. */
  on<K extends BreakerEventName>(event: K, listener: BreakerListener<K>): () => void
}

/**
 * Creates a circuit breaker.
 *
 * @example
 * ```ts
 * const breaker = createBreaker({ name: 'pg:get_properties' })
 * const rows = await breaker.execute((signal) => query(signal), request.signal)
 * ```
 */
export function createBreaker(options: BreakerOptions): Breaker {
  return new CircuitBreaker(resolveBreakerOptions(options, 'createBreaker: options'))
}

import { createBreaker, isCircuitOpenError } from '@ballast/breaker'
import { createCache } from '@ballast/cache'
import { createRecorder, isTimeoutError, withDeadline } from '@ballast/timing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

// The three primitives know nothing of one another; they meet here through
// plain functions: a loader `(signal) => Promise` for the cache, a function of
// a signal for the breaker, and a function of a signal for the deadline.

/** Reads the fake timers' wall clock, so every layer shares one time. */
const clock = { now: () => Date.now() }

/** A query that answers `rows` after `ms`, or stops when its signal aborts. */
function query(rows: string[], ms: number) {
  return vi.fn(
    (signal: AbortSignal) =>
      new Promise<string[]>((resolve, reject) => {
        const timer = setTimeout(() => resolve(rows), ms)
        signal.addEventListener('abort', () => {
          clearTimeout(timer)
          reject(signal.reason)
        })
      }),
  )
}

/** Settles `promise` into a record a test can look at without awaiting. */
function watch<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; reason?: unknown } = { settled: false }
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (reason: unknown) => Object.assign(state, { settled: true, reason }),
  )
  return state
}

describe('cache, then breaker, then deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('counts a deadline inside the breaker as a failure, so a slow source opens it', async () => {
    const breaker = createBreaker({ name: 'pg:get_properties', failureThreshold: 2, clock })
    const slow = query(['row'], 10_000)
    const load = breaker.wrap((signal) => withDeadline(slow, 100, { signal }))

    for (let attempt = 0; attempt < 2; attempt++) {
      const call = watch(load())
      await vi.advanceTimersByTimeAsync(100)
      expect(isTimeoutError(call.reason)).toBe(true)
    }

    expect(breaker.state).toBe('open')
    expect(slow.mock.calls.every(([signal]) => signal.aborted)).toBe(true)
    expect(isCircuitOpenError(await load().catch((error: unknown) => error))).toBe(true)
    expect(slow).toHaveBeenCalledTimes(2)
  })

  it('serves the stale entry while the circuit is open, without calling the source', async () => {
    const cache = createCache({ clock, ttlMs: 1_000, graceMs: 60_000 })
    const breaker = createBreaker({ name: 'pg:get_properties', failureThreshold: 1, clock })
    const fast = query(['12 Harbour Row'], 10)
    const stale = vi.fn()
    cache.on('stale', stale)

    const first = watch(
      cache.get(
        'properties',
        breaker.wrap((signal) => withDeadline(fast, 100, { signal })),
      ),
    )
    await vi.advanceTimersByTimeAsync(10)
    expect(first.value).toEqual(['12 Harbour Row'])

    vi.setSystemTime(5_000)
    const hung = query(['never'], 1_000_000)
    const timedOut = watch(
      cache.getWithInfo(
        'properties',
        breaker.wrap((s) => withDeadline(hung, 100, { signal: s })),
      ),
    )
    await vi.advanceTimersByTimeAsync(100)
    expect(timedOut.value).toMatchObject({ value: ['12 Harbour Row'], provenance: 'stale' })
    expect(breaker.state).toBe('open')

    const source = query(['fresh'], 10)
    const whileOpen = await cache.getWithInfo(
      'properties',
      breaker.wrap((signal) => withDeadline(source, 100, { signal })),
    )

    expect(whileOpen).toMatchObject({ value: ['12 Harbour Row'], provenance: 'stale' })
    expect(source).not.toHaveBeenCalled()
    expect(isTimeoutError(stale.mock.calls[0]?.[0].error)).toBe(true)
    expect(isCircuitOpenError(stale.mock.calls[1]?.[0].error)).toBe(true)
  })

  it('times each attempt with the recorder, whose hard limit counts as a failure', async () => {
    const cache = createCache({ clock, ttlMs: 1_000, graceMs: 60_000 })
    const breaker = createBreaker({ name: 'pg:get_properties', failureThreshold: 1, clock })
    const recorder = createRecorder({ hardLimitMs: 1_000, clock })
    const timed = (fn: (signal: AbortSignal) => Promise<string[]>) =>
      breaker.wrap((signal) => recorder.time('read', 'pg:get_properties', fn, { signal }))

    const first = watch(cache.get('properties', timed(query(['row'], 20))))
    await vi.advanceTimersByTimeAsync(20)
    vi.setSystemTime(5_000)
    const second = watch(cache.getWithInfo('properties', timed(query(['late'], 60_000))))
    await vi.advanceTimersByTimeAsync(1_000)

    expect(first.value).toEqual(['row'])
    expect(second.value).toMatchObject({ value: ['row'], provenance: 'stale' })
    expect(breaker.state).toBe('open')
    const [stats] = recorder.snapshot().operations
    expect(stats?.total).toMatchObject({ count: 2, timeouts: 1, violations: 1, max: 1_000 })
  })

  it('in the wrong order, a source that ignores its signal is never counted', async () => {
    const breaker = createBreaker({ name: 'pg:get_properties', failureThreshold: 1, clock })
    const deaf = vi.fn((_signal: AbortSignal) => new Promise<string[]>(() => {}))

    // Deadline outside: the caller hears the timeout, but the breaker's call
    // never ends, so the breaker never learns the source is down.
    const outside = watch(withDeadline((signal) => breaker.execute(deaf, signal), 100))
    await vi.advanceTimersByTimeAsync(100)
    expect(isTimeoutError(outside.reason)).toBe(true)
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0 })

    // Deadline inside: the breaker's call ends at the deadline and counts.
    const inside = watch(breaker.execute((signal) => withDeadline(deaf, 100, { signal })))
    await vi.advanceTimersByTimeAsync(100)
    expect(isTimeoutError(inside.reason)).toBe(true)
    expect(breaker.state).toBe('open')
  })

  it("leaves the counting to the inner deadline when the cache's own is longer", async () => {
    const cache = createCache({ clock, ttlMs: 1_000, graceMs: 60_000, loadTimeoutMs: 500 })
    const breaker = createBreaker({ name: 'pg:get_properties', failureThreshold: 1, clock })
    const slow = query(['row'], 10_000)

    const call = watch(
      cache.get(
        'properties',
        breaker.wrap((signal) => withDeadline(slow, 100, { signal })),
      ),
    )
    await vi.advanceTimersByTimeAsync(500)

    expect(isTimeoutError(call.reason)).toBe(true)
    expect(breaker.state).toBe('open')
  })
})

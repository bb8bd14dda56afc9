import { createCache, isCacheLoadTimeoutError } from '@ballast/cache'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ManualClock } from './support'

describe('createCache: stale fallback', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('serves an expired entry inside the grace window when the loader fails', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 1000, graceMs: 5000 })
    const stale = vi.fn()
    cache.on('stale', stale)

    await cache.get('k', () => 'old')
    clock.advance(3000)
    const failure = new Error('source down')
    const result = await cache.getWithInfo('k', () => Promise.reject(failure))

    expect(result).toEqual({ value: 'old', provenance: 'stale', ageMs: 3000 })
    expect(stale).toHaveBeenCalledWith({ key: 'k', ageMs: 3000, error: failure })
    expect(cache.stats()).toMatchObject({ staleServed: 1, loadErrors: 1 })
  })

  it('warns on the given logger when it serves stale', async () => {
    const clock = new ManualClock()
    const logger = { warn: vi.fn() }
    const cache = createCache({ clock, ttlMs: 10, graceMs: 100, logger })

    await cache.get('k', () => 'old')
    clock.advance(20)
    await cache.get('k', () => Promise.reject(new Error('down')))

    expect(logger.warn).toHaveBeenCalledTimes(1)
    expect(logger.warn.mock.calls[0]?.[0]).toMatchObject({ key: 'k', ageMs: 20 })
  })

  it('rethrows the original error past the grace window', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 10, graceMs: 100 })
    const failure = new Error('down')

    await cache.get('k', () => 'old')
    clock.advance(110)

    await expect(cache.get('k', () => Promise.reject(failure))).rejects.toBe(failure)
  })

  it('rethrows the original error when there never was an entry', async () => {
    const cache = createCache({ graceMs: 100 })
    const failure = new Error('down')

    await expect(cache.get('k', () => Promise.reject(failure))).rejects.toBe(failure)
  })

  it('keeps serving the fresh value once the source recovers', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 10, graceMs: 100 })

    await cache.get('k', () => 'old')
    clock.advance(20)
    await cache.get('k', () => Promise.reject(new Error('down')))

    expect(await cache.getWithInfo('k', () => 'new')).toMatchObject({
      value: 'new',
      provenance: 'miss',
    })
  })

  it('serves stale when the loader passes its deadline, and aborts its signal', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 10, graceMs: 1000, loadTimeoutMs: 50 })
    await cache.get('k', () => 'old')
    clock.advance(20)

    let loaderSignal: AbortSignal | undefined
    const result = cache.getWithInfo('k', (signal) => {
      loaderSignal = signal
      return new Promise<string>(() => {})
    })
    await vi.advanceTimersByTimeAsync(50)

    expect(await result).toMatchObject({ value: 'old', provenance: 'stale' })
    expect(isCacheLoadTimeoutError(loaderSignal?.reason)).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects with a CacheLoadTimeoutError past the deadline without a fallback', async () => {
    vi.useFakeTimers()
    const cache = createCache({ clock: new ManualClock() })

    const result = cache.get('k', () => new Promise<string>(() => {}), { loadTimeoutMs: 30 })
    const settled = expect(result).rejects.toSatisfy(isCacheLoadTimeoutError)
    await vi.advanceTimersByTimeAsync(30)

    await settled
  })

  it('clears the deadline timer when the load settles in time', async () => {
    vi.useFakeTimers()
    const cache = createCache({ clock: new ManualClock(), loadTimeoutMs: 1000 })

    expect(await cache.get('k', async () => 'fast')).toBe('fast')
    expect(vi.getTimerCount()).toBe(0)
  })
})

import { createCache, estimateBytes } from '@ballast/cache'
import { describe, expect, it, vi } from 'vitest'

describe('createCache: memory bound', () => {
  it('never holds more bytes than maxBytes, evicting least recently used first', async () => {
    // Each entry costs 100 bytes of value plus the fixed per-entry charge: five fit.
    const cache = createCache({ maxBytes: 1400, maxEntryBytes: 1400, sizeOf: () => 100 })
    const evicted = vi.fn()
    cache.on('evict', evicted)

    for (let i = 0; i < 3; i++) cache.set(`k${i}`, i)
    await cache.get('k0', () => -1)
    for (let i = 3; i < 6; i++) cache.set(`k${i}`, i)

    expect(cache.stats().bytes).toBeLessThanOrEqual(1400)
    expect(evicted).toHaveBeenCalledWith({ key: 'k1' })
    expect(await cache.get('k0', () => -1)).toBe(0)
    expect(cache.stats().evictions).toBeGreaterThan(0)
  })

  it('returns but does not keep a value larger than maxEntryBytes', async () => {
    const cache = createCache({ maxBytes: 10_000, maxEntryBytes: 500 })
    const big = 'x'.repeat(1000)

    expect(await cache.get('big', () => big)).toBe(big)
    expect(cache.stats().entries).toBe(0)
  })

  it('rejects maxEntryBytes above maxBytes', () => {
    expect(() => createCache({ maxBytes: 10, maxEntryBytes: 20 })).toThrow(/maxEntryBytes/)
  })
})

describe('estimateBytes', () => {
  it('grows with the data it measures', () => {
    const small = estimateBytes({ id: 1, name: 'a' })
    const large = estimateBytes({ id: 1, name: 'a'.repeat(1000) })

    expect(large - small).toBe(2 * 999)
    expect(estimateBytes([1, 2, 3])).toBeGreaterThan(estimateBytes([1]))
    expect(estimateBytes(new Map([['a', 'b']]))).toBeGreaterThan(0)
    expect(estimateBytes(Buffer.alloc(64))).toBeGreaterThanOrEqual(64)
  })

  it('stops on cyclic data', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic

    expect(Number.isFinite(estimateBytes(cyclic))).toBe(true)
  })
})

describe('createCache: statistics and events', () => {
  it('counts every outcome and exposes them through events', async () => {
    let now = 0
    const cache = createCache({ clock: { now: () => now }, ttlMs: 10, graceMs: 100 })
    const seen: string[] = []
    for (const name of ['hit', 'miss', 'stale', 'loadError', 'invalidate'] as const) {
      cache.on(name, () => seen.push(name))
    }

    await cache.get('k', () => 1)
    await cache.get('k', () => 1)
    now = 20
    await cache.get('k', () => Promise.reject(new Error('down')))
    await cache.invalidate({ key: 'k' })

    expect(seen).toEqual(['miss', 'hit', 'miss', 'loadError', 'stale', 'invalidate'])
    expect(cache.stats()).toMatchObject({
      hits: 1,
      misses: 2,
      staleServed: 1,
      loadErrors: 1,
      invalidations: 1,
      entries: 0,
    })
  })

  it('keeps working when a listener throws, and reports it', async () => {
    const cache = createCache()
    const errors = vi.fn()
    cache.on('miss', () => {
      throw new Error('bad listener')
    })
    cache.on('error', errors)

    expect(await cache.get('k', () => 1)).toBe(1)
    expect(errors).toHaveBeenCalledTimes(1)
  })

  it('stops calling a listener once it unsubscribed', async () => {
    const cache = createCache()
    const hits = vi.fn()
    const off = cache.on('hit', hits)

    cache.set('k', 1)
    await cache.get('k', () => 2)
    off()
    await cache.get('k', () => 2)

    expect(hits).toHaveBeenCalledTimes(1)
  })
})

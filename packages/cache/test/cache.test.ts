import { createCache, isCacheKeyError, userKey, userTag } from '@ballast/cache'
import { describe, expect, it, vi } from 'vitest'
import { deferred, flush, ManualClock } from './support'

describe('createCache: cache-first reads', () => {
  it('returns a fresh entry without calling the loader', async () => {
    const cache = createCache({ clock: new ManualClock() })
    const loader = vi.fn(async () => 'value')

    expect(await cache.get('k', loader)).toBe('value')
    expect(await cache.get('k', loader)).toBe('value')

    expect(loader).toHaveBeenCalledTimes(1)
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, hitRatio: 0.5 })
  })

  it('reports provenance and age', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 1000 })

    const first = await cache.getWithInfo('k', () => 1)
    clock.advance(250)
    const second = await cache.getWithInfo('k', () => 2)

    expect(first).toEqual({ value: 1, provenance: 'miss', ageMs: 0 })
    expect(second).toEqual({ value: 1, provenance: 'hit', ageMs: 250 })
  })

  it('loads again once the entry expired', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 1000 })

    await cache.get('k', () => 'old')
    clock.advance(1000)

    expect(await cache.get('k', () => 'new')).toBe('new')
  })

  it('honours a per-call ttl', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 1000 })

    await cache.get('k', () => 'old', { ttlMs: 10 })
    clock.advance(10)

    expect(await cache.get('k', () => 'new')).toBe('new')
  })

  it('spreads expiry with ttl jitter', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 1000, ttlJitter: 0.5, random: () => 0.5 })

    await cache.get('k', () => 'old')
    clock.advance(749)
    expect(await cache.get('k', () => 'new')).toBe('old')
    clock.advance(1)
    expect(await cache.get('k', () => 'new')).toBe('new')
  })

  it('rejects malformed keys and loaders with a typed error', async () => {
    const cache = createCache()

    await expect(cache.get('', () => 1)).rejects.toSatisfy(isCacheKeyError)
    await expect(cache.get('k', 'nope' as never)).rejects.toThrow(/loader must be a function/)
  })

  it('rejects options that cannot work, naming them', () => {
    expect(() => createCache({ maxBytes: -1 })).toThrow(/options.maxBytes must be a positive/)
    expect(() => createCache({ ttlMs: Number.NaN })).toThrow(/options.ttlMs/)
    expect(() => createCache({ ttlJitter: 2 })).toThrow(/options.ttlJitter/)
    expect(() => createCache({ namespace: 'a b' })).toThrow(/options.namespace/)
  })

  it('stores a value written directly with set', async () => {
    const cache = createCache()
    cache.set('k', 'written', { tags: ['t'] })

    expect(await cache.getWithInfo('k', () => 'loaded')).toMatchObject({
      value: 'written',
      provenance: 'hit',
    })
  })
})

describe('createCache: single-flight', () => {
  it('calls the loader once for concurrent misses of one key', async () => {
    const cache = createCache()
    const load = deferred<string>()
    const loader = vi.fn(() => load.promise)

    const results = [1, 2, 3].map(() => cache.getWithInfo('k', loader))
    load.resolve('value')

    const settled = await Promise.all(results)
    expect(loader).toHaveBeenCalledTimes(1)
    expect(settled.map((result) => result.provenance)).toEqual(['miss', 'coalesced', 'coalesced'])
    expect(cache.stats().coalesced).toBe(2)
  })

  it('gives the loader error to every waiter', async () => {
    const cache = createCache()
    const load = deferred<string>()
    const failure = new Error('source down')

    const waiting = [cache.get('k', () => load.promise), cache.get('k', () => load.promise)]
    load.reject(failure)

    for (const result of waiting) await expect(result).rejects.toBe(failure)
    expect(cache.stats().loadErrors).toBe(1)
  })

  it('lets one waiter abandon without disturbing the others', async () => {
    const cache = createCache()
    const load = deferred<string>()
    const controller = new AbortController()
    const loader = vi.fn((_signal: AbortSignal) => load.promise)

    const leaving = cache.get('k', loader, { signal: controller.signal })
    const staying = cache.get('k', loader)
    await flush()
    controller.abort(new Error('client went away'))

    await expect(leaving).rejects.toThrow('client went away')
    const loaderSignal = loader.mock.calls[0]?.[0]
    expect(loaderSignal?.aborted).toBe(false)

    load.resolve('value')
    expect(await staying).toBe('value')
    expect(await cache.get('k', loader)).toBe('value')
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('rejects at once for a signal that is already aborted', async () => {
    const cache = createCache()
    const signal = AbortSignal.abort(new Error('gone'))

    await expect(cache.get('k', () => 1, { signal })).rejects.toThrow('gone')
  })

  it('does not cache errors', async () => {
    const cache = createCache()

    await expect(cache.get('k', () => Promise.reject(new Error('x')))).rejects.toThrow('x')
    expect(await cache.get('k', () => 'ok')).toBe('ok')
  })

  it('turns a synchronous throw of the loader into a rejection', async () => {
    const cache = createCache()
    const loader = () => {
      throw new Error('sync')
    }

    await expect(cache.get('k', loader)).rejects.toThrow('sync')
  })
})

describe('createCache: user keys', () => {
  it('tags entries under a user key with their user automatically', async () => {
    const cache = createCache()
    const key = userKey(42, 'properties:list', { page: 1 })
    await cache.get(key, () => 'list of 42')

    await cache.invalidate({ user: 42 })

    expect(await cache.getWithInfo(key, () => 'reloaded')).toMatchObject({ provenance: 'miss' })
    expect(userTag(42)).toBe('user:42')
  })
})

describe('systemClock', () => {
  it('reads the wall clock once per event-loop turn', async () => {
    const { systemClock } = await import('../src/clock')
    const first = systemClock.now()

    expect(systemClock.now()).toBe(first)
    await new Promise<void>((resolve) => setImmediate(resolve))
    const before = Date.now()
    const next = systemClock.now()

    expect(next).toBeGreaterThanOrEqual(before)
    expect(next).toBeLessThanOrEqual(Date.now())
  })
})

describe('createCache: getIfFresh', () => {
  it('answers a fresh entry synchronously and counts a hit', async () => {
    const cache = createCache({ clock: new ManualClock() })
    await cache.get('k', async () => 'value')

    expect(cache.getIfFresh('k')).toBe('value')
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 })
  })

  it('answers undefined for a missing, expired or invalidated entry, loading nothing', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 1_000, graceMs: 60_000 })
    await cache.get('expired', async () => 1)
    await cache.get('invalidated', async () => 2, { tags: ['t'] })
    clock.advance(500)
    await cache.invalidate({ tag: 't' })
    clock.advance(500)

    expect(cache.getIfFresh('missing')).toBeUndefined()
    expect(cache.getIfFresh('expired')).toBeUndefined()
    expect(cache.getIfFresh('invalidated')).toBeUndefined()
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 2 })
  })
})

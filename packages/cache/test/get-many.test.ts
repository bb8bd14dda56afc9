import { createCache, isCacheMissingValueError } from '@ballast/cache'
import { describe, expect, it, vi } from 'vitest'
import { deferred } from './support'

describe('Cache.getMany', () => {
  it('loads only the missing keys, in one call, and answers in the order asked', async () => {
    const cache = createCache()
    cache.set('b', 'cached b')
    const loadMany = vi.fn(async (keys: readonly string[]) => {
      return new Map(keys.map((key) => [key, `loaded ${key}`]))
    })

    const values = await cache.getMany(['c', 'b', 'a'], loadMany)

    expect(loadMany).toHaveBeenCalledTimes(1)
    expect(loadMany.mock.calls[0]?.[0]).toEqual(['c', 'a'])
    expect([...values]).toEqual([
      ['c', 'loaded c'],
      ['b', 'cached b'],
      ['a', 'loaded a'],
    ])
    expect(await cache.get('a', () => 'again')).toBe('loaded a')
  })

  it('leaves out keys the loader did not return, and does not cache them', async () => {
    const cache = createCache()

    const values = await cache.getMany(['a', 'gone'], async () => new Map([['a', 1]]))

    expect([...values]).toEqual([['a', 1]])
    expect(await cache.get('gone', () => 2)).toBe(2)
  })

  it('joins loads under way instead of loading those keys again', async () => {
    const cache = createCache()
    const single = deferred<string>()
    const loadMany = vi.fn(async (keys: readonly string[]) => new Map(keys.map((k) => [k, k])))

    const pending = cache.get('a', () => single.promise)
    const batch = cache.getMany(['a', 'b'], loadMany)
    single.resolve('from get')

    expect([...(await batch)]).toEqual([
      ['a', 'from get'],
      ['b', 'b'],
    ])
    expect(loadMany.mock.calls[0]?.[0]).toEqual(['b'])
    await pending
  })

  it('lets a get join a batch load, and says so when the batch had no value', async () => {
    const cache = createCache()
    const batch = deferred<Map<string, string>>()

    const many = cache.getMany(['a', 'b'], () => batch.promise)
    const single = cache.getWithInfo('a', () => 'own load')
    const missing = cache.get('b', () => 'own load')
    batch.resolve(new Map([['a', 'batched']]))

    expect(await single).toMatchObject({ value: 'batched', provenance: 'coalesced' })
    await expect(missing).rejects.toSatisfy(isCacheMissingValueError)
    expect([...(await many)]).toEqual([['a', 'batched']])
  })

  it('applies per-key tags and the same invalidation fencing', async () => {
    const cache = createCache()
    const batch = deferred<Map<string, string>>()

    const racing = cache.getMany(['a', 'b'], () => batch.promise, { tags: (key) => [`t:${key}`] })
    await cache.invalidate({ tag: 't:a' })
    batch.resolve(
      new Map([
        ['a', 'old a'],
        ['b', 'b'],
      ]),
    )
    await racing

    expect(await cache.get('a', () => 'new a')).toBe('new a')
    expect(await cache.get('b', () => 'new b')).toBe('b')
  })

  it('falls back to stale entries per key when the batch fails', async () => {
    let now = 0
    const cache = createCache({ clock: { now: () => now }, ttlMs: 10, graceMs: 100 })
    cache.set('a', 'old a')
    now = 20

    const failure = new Error('down')
    await expect(cache.getMany(['a', 'b'], () => Promise.reject(failure))).rejects.toBe(failure)
    const onlyA = await cache.getMany(['a'], () => Promise.reject(failure))

    expect([...onlyA]).toEqual([['a', 'old a']])
  })

  it('rejects a loader result that is not a Map', async () => {
    const cache = createCache()

    await expect(cache.getMany(['a'], async () => ({ a: 1 }) as never)).rejects.toThrow(
      /loadMany must return a Map/,
    )
  })
})

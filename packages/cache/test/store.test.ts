import {
  createCache,
  createMemoryBus,
  createMemoryStore,
  type SharedStore,
  userEntityTag,
  userKey,
} from '@ballast/cache'
import { describe, expect, it, vi } from 'vitest'
import { deferred, flush, ManualClock } from './support'

function pair(options: { graceMs?: number } = {}) {
  const clock = new ManualClock()
  const store = createMemoryStore({ clock })
  const bus = createMemoryBus()
  const a = createCache({ clock, store, bus, ...options })
  const b = createCache({ clock, store, bus, ...options })

  return { clock, store, bus, a, b }
}

describe('createCache with a shared store', () => {
  it('answers a memory miss from the store without calling the loader', async () => {
    const { a, b } = pair()
    await a.get('k', () => 'loaded by a', { tags: ['t'] })
    await flush()

    const loader = vi.fn(() => 'loaded by b')
    const result = await b.getWithInfo('k', loader, { tags: ['t'] })

    expect(result).toMatchObject({ value: 'loaded by a', provenance: 'hit' })
    expect(loader).not.toHaveBeenCalled()
    expect(b.stats()).toMatchObject({ misses: 1, storeHits: 1 })
    expect(await b.getWithInfo('k', loader)).toMatchObject({ provenance: 'hit' })
    expect(b.stats().hits).toBe(1)
  })

  it('never answers from the store after an invalidation made by another instance', async () => {
    const { a, b } = pair()
    await a.get('k', () => 'old', { tags: ['t'] })
    await flush()

    await b.invalidate({ tag: 't' })

    expect(await a.get('k', () => 'new a', { tags: ['t'] })).toBe('new a')
    await flush()
    expect(await b.get('k', () => 'new b', { tags: ['t'] })).toBe('new a')
  })

  it('refuses to store a load that raced an invalidation by another instance', async () => {
    const { a, b } = pair()
    const load = deferred<string>()

    const racing = a.get('k', () => load.promise, { tags: ['t'] })
    await flush()
    await b.invalidate({ tag: 't' })
    load.resolve('read before the write')

    expect(await racing).toBe('read before the write')
    await flush()
    expect(await b.get('k', () => 'after the write', { tags: ['t'] })).toBe('after the write')
    expect(await a.get('k', () => 'unused', { tags: ['t'] })).toBe('after the write')
  })

  it('keeps soft-invalidated store entries as fallbacks, not hard ones', async () => {
    const { a, b } = pair({ graceMs: 60_000 })
    const down = () => Promise.reject(new Error('down'))
    await a.get(userKey(1, 'items:list'), () => 'old 1', { tags: ['soft'] })
    await a.get(userKey(2, 'items:list'), () => 'old 2', { tags: ['hard'] })
    await flush()

    await a.invalidate({ tag: 'soft', mode: 'soft' })
    await a.invalidate({ tag: 'hard' })

    expect(await b.getWithInfo(userKey(1, 'items:list'), down)).toMatchObject({
      value: 'old 1',
      provenance: 'stale',
    })
    await expect(b.get(userKey(2, 'items:list'), down)).rejects.toThrow('down')
  })

  it('serves a store entry past its freshness only as a fallback', async () => {
    const { a, b, clock } = pair({ graceMs: 60_000 })
    await a.get('k', () => 'old', { ttlMs: 1_000 })
    await flush()
    clock.advance(2_000)

    const failing = await b.getWithInfo('k', () => Promise.reject(new Error('down')))
    expect(failing).toMatchObject({ value: 'old', provenance: 'stale', ageMs: 2_000 })
    expect(await b.get('k', () => 'new')).toBe('new')
  })

  it('reads and writes a batch in one store call each', async () => {
    const { a, b, store } = pair()
    await a.getMany(['x', 'y'], async (keys) => new Map(keys.map((key) => [key, `a:${key}`])))
    await flush()
    const read = vi.spyOn(store, 'read')
    const write = vi.spyOn(store, 'write')

    const loadMany = vi.fn(async (keys: readonly string[]) => {
      return new Map(keys.map((key) => [key, `b:${key}`]))
    })
    const values = await b.getMany(['x', 'y', 'z'], loadMany, {
      tags: (key) => [userEntityTag(7, key)],
    })

    expect([...values]).toEqual([
      ['x', 'a:x'],
      ['y', 'a:y'],
      ['z', 'b:z'],
    ])
    expect(loadMany).toHaveBeenCalledWith(['z'], expect.any(AbortSignal))
    expect(read).toHaveBeenCalledTimes(1)
    expect(write).toHaveBeenCalledTimes(1)
  })

  it('writes set() values through to the store', async () => {
    const { a, b } = pair()
    a.set('k', 'written', { tags: ['t'] })
    await flush()

    expect(await b.get('k', () => 'loaded')).toBe('written')
  })

  it('loads from the source when the store fails, and reports it', async () => {
    const failing: SharedStore = {
      read: () => Promise.reject(new Error('store down')),
      write: () => Promise.reject(new Error('store down')),
      invalidate: () => Promise.resolve(),
    }
    const cache = createCache({ store: failing })
    const errors: string[] = []
    cache.on('error', ({ during }) => errors.push(during))

    expect(await cache.getWithInfo('k', () => 'from source')).toMatchObject({
      value: 'from source',
      provenance: 'miss',
    })
    await flush()
    expect(errors).toEqual(['reading the shared store'])
    expect(await cache.getWithInfo('k', () => 'unused')).toMatchObject({ provenance: 'hit' })
  })

  it('rejects a store or bus without the methods a cache calls', () => {
    expect(() => createCache({ store: {} as SharedStore })).toThrow(
      'createCache: options.store must have the methods read, write, invalidate, ' +
        'received object without read, write, invalidate',
    )
    expect(() => createCache({ maxPendingBytes: 0 })).toThrow(RangeError)
  })
})

describe('createMemoryStore', () => {
  it('forgets entries past their grace window', async () => {
    const clock = new ManualClock()
    const store = createMemoryStore({ clock })
    const entry = { value: 1, tags: [], loadedAt: clock.now(), freshUntil: 0, graceUntil: 0 }
    await store.write('ns', undefined, [
      { key: 'k', entry: { ...entry, freshUntil: clock.now() + 10, graceUntil: clock.now() + 20 } },
    ])

    expect((await store.read('ns', ['k'])).entries[0]).toMatchObject({ value: 1 })
    clock.advance(20)
    expect((await store.read('ns', ['k'])).entries).toEqual([undefined])
  })

  it('keeps namespaces apart; an invalidation of everything forgets one', async () => {
    const store = createMemoryStore()
    const entry = { value: 1, tags: ['t'], loadedAt: 0, freshUntil: 1e15, graceUntil: 1e15 }
    await store.write('v1', undefined, [{ key: 'k', entry }])
    await store.write('v2', undefined, [{ key: 'k', entry }])

    const everything = { namespace: 'v1', origin: 'x', tags: [], keys: [], mode: 'hard' as const }
    await store.invalidate({ ...everything, all: true })

    expect((await store.read('v1', ['k'])).entries).toEqual([undefined])
    expect((await store.read('v2', ['k'])).entries[0]).toMatchObject({ standing: 'current' })
  })

  it('stays within maxEntries', async () => {
    const store = createMemoryStore({ maxEntries: 2 })
    const entry = { value: 1, tags: [], loadedAt: 0, freshUntil: 1e15, graceUntil: 1e15 }
    for (const key of ['a', 'b', 'c']) await store.write('ns', undefined, [{ key, entry }])

    const { entries } = await store.read('ns', ['a', 'b', 'c'])
    expect(entries.map((found) => found !== undefined)).toEqual([false, true, true])
  })
})

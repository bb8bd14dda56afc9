import {
  type Cache,
  createCache,
  isCacheInvalidationPendingError,
  isCacheInvalidationUnconfirmedError,
} from '@ballast/cache'
import { describe, expect, it } from 'vitest'
import { FlakyBus, FlakyStore } from './outages'
import { deferred, flush, ManualClock } from './support'

function instances(options: { maxPendingBytes?: number } = {}) {
  const clock = new ManualClock()
  const store = new FlakyStore({ clock })
  const bus = new FlakyBus()
  const a = createCache({ clock, store, bus, graceMs: 60_000, ...options })
  const b = createCache({ clock, store, bus, graceMs: 60_000, ...options })

  return { store, bus, a, b }
}

async function seed(caches: Cache[], key: string, value: string, tags: string[]) {
  for (const cache of caches) await cache.get(key, () => value, { tags })
  await flush()
}

const read = (cache: Cache, key: string, value: string, tags: string[]) =>
  cache.getWithInfo(key, () => value, { tags })

describe('createCache: invalidations that cannot reach the store or the bus', () => {
  it('applies locally, rejects as pending, delivers when the store returns', async () => {
    const { store, bus, a, b } = instances()
    await seed([a, b], 'k', 'old', ['t'])
    store.down = true

    const invalidating = a.invalidate({ tag: 't' })
    await expect(invalidating).rejects.toSatisfy(isCacheInvalidationPendingError)
    await expect(invalidating).rejects.toMatchObject({
      tags: ['t'],
      cause: new Error('store down'),
    })
    expect(a.stats().pendingInvalidations).toBe(1)
    expect(bus.published).toEqual([])

    // This instance serves the new value, even though the store still holds the old one.
    store.down = false
    expect(await read(a, 'k', 'new', ['t'])).toMatchObject({ value: 'new', provenance: 'miss' })
    // The other instance has not heard of it yet.
    expect(await read(b, 'k', 'unused', ['t'])).toMatchObject({ value: 'old', provenance: 'hit' })

    await a.whenPropagated()

    expect(store.invalidations.map((message) => message.tags)).toEqual([['t']])
    expect(bus.published.map((message) => message.tags)).toEqual([['t']])
    expect(await read(b, 'k', 'new', ['t'])).toMatchObject({ value: 'new', provenance: 'miss' })
    expect(a.stats().pendingInvalidations).toBe(0)
  })

  it('distrusts store entries a pending soft invalidation reached, but falls back', async () => {
    const { store, a } = instances()
    await seed([a], 'k', 'old', ['t'])
    store.down = true
    await expect(a.invalidate({ tag: 't', mode: 'soft' })).rejects.toSatisfy(
      isCacheInvalidationPendingError,
    )
    store.down = false

    const failing = await a.getWithInfo('k', () => Promise.reject(new Error('source down')))

    expect(failing).toMatchObject({ value: 'old', provenance: 'stale' })
  })

  it('records in the store before publishing, also from the outbox', async () => {
    const { store, bus, a, b } = instances()
    await seed([a, b], 'k', 'old', ['t'])
    bus.down = true

    await expect(a.invalidate({ tag: 't' })).rejects.toSatisfy(isCacheInvalidationPendingError)
    expect(store.invalidations).toHaveLength(1)
    expect(bus.published).toHaveLength(0)

    bus.down = false
    await a.whenPropagated()

    // b dropped its entry on the message, and the store no longer answers with the old one.
    expect(bus.published).toHaveLength(1)
    expect(store.invalidations).toHaveLength(1)
    expect(await read(b, 'k', 'new', ['t'])).toMatchObject({ value: 'new', provenance: 'miss' })
  })

  it('delivers the outbox at once when the bus reports it is connected again', async () => {
    const { bus, a } = instances()
    bus.down = true
    await expect(a.invalidate({ tag: 't' })).rejects.toSatisfy(isCacheInvalidationPendingError)

    bus.reconnect()
    await a.whenPropagated()

    expect(bus.published.map((message) => message.tags)).toEqual([['t']])
  })

  it('replaces a full outbox by one invalidation of everything', async () => {
    const { store, bus, a, b } = instances({ maxPendingBytes: 200 })
    await seed([a, b], 'k', 'old', ['other'])
    store.down = true

    for (const tag of ['t1', 't2', 't3', 't4']) {
      await expect(a.invalidate({ tag })).rejects.toSatisfy(isCacheInvalidationPendingError)
    }
    expect(a.stats().pendingInvalidations).toBe(1)

    store.down = false
    await a.whenPropagated()

    expect(bus.published).toMatchObject([{ all: true, tags: [], keys: [] }])
    expect(b.stats().resets).toBe(1)
    expect(await read(b, 'k', 'new', ['other'])).toMatchObject({ value: 'new', provenance: 'miss' })
  })

  it('rejects as unconfirmed when some receiver did not confirm, naming it', async () => {
    const { bus, a, b } = instances()
    await seed([b], 'k', 'old', ['t'])
    bus.silent = ['instance-3']

    const invalidating = a.invalidate({ tag: 't' })

    await expect(invalidating).rejects.toSatisfy(isCacheInvalidationUnconfirmedError)
    await expect(invalidating).rejects.toMatchObject({
      receivers: 3,
      acknowledged: 2,
      missing: ['instance-3'],
      message: '2 of 3 receivers confirmed the invalidation (missing: instance-3)',
    })
    expect(a.stats().pendingInvalidations).toBe(0)
    expect(await read(b, 'k', 'new', ['t'])).toMatchObject({ provenance: 'miss' })
  })

  it('reports what is still pending when closed', async () => {
    const { store, a } = instances()
    const errors: unknown[] = []
    a.on('error', ({ error }) => errors.push(error))
    store.down = true
    await expect(a.invalidate({ tag: 't' })).rejects.toSatisfy(isCacheInvalidationPendingError)
    const waiting = a.whenPropagated()

    a.close()

    await expect(waiting).rejects.toSatisfy(isCacheInvalidationPendingError)
    expect(errors).toHaveLength(1)
  })
})

describe('createCache: a bus that may have missed messages', () => {
  it('drops the memory tier and fences loads under way on a reset', async () => {
    const bus = new FlakyBus()
    const cache = createCache({ bus })
    await seed([cache], 'k', 'old', ['t'])
    const load = deferred<string>()
    const racing = cache.get('other', () => load.promise)

    bus.reconnect()
    load.resolve('loaded before the reset')

    expect(await racing).toBe('loaded before the reset')
    expect(cache.stats()).toMatchObject({ resets: 1, entries: 0 })
    expect(await read(cache, 'other', 'after', [])).toMatchObject({ value: 'after' })
    expect(await read(cache, 'k', 'new', ['t'])).toMatchObject({ value: 'new' })
  })

  it('with resetKeepsStale, keeps entries on a reset as fallbacks, never fresh', async () => {
    const bus = new FlakyBus()
    const cache = createCache({ bus, resetKeepsStale: true, graceMs: 60_000 })
    await seed([cache], 'k', 'old', ['t'])

    bus.reconnect()

    expect(cache.stats()).toMatchObject({ resets: 1, entries: 1 })
    expect(cache.getIfFresh('k')).toBeUndefined()
    const failing = await cache.getWithInfo('k', async () => {
      throw new Error('source down')
    })
    expect(failing).toMatchObject({ value: 'old', provenance: 'stale' })
    expect(await read(cache, 'k', 'new', ['t'])).toMatchObject({ value: 'new' })
  })

  it('keeps reading the shared store after a reset: the store judges its own entries', async () => {
    const { bus, a, b } = instances()
    await seed([a], 'k', 'stored', ['t'])

    bus.reconnect()

    expect(await read(b, 'k', 'unused', ['t'])).toMatchObject({
      value: 'stored',
      provenance: 'hit',
    })
  })
})

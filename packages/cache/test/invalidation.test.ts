import {
  createCache,
  createMemoryBus,
  isCacheKeyError,
  userEntityTag,
  userKey,
} from '@ballast/cache'
import { describe, expect, it, vi } from 'vitest'
import { deferred, ManualClock } from './support'

async function provenance(cache: ReturnType<typeof createCache>, key: string, tags?: string[]) {
  const result = await cache.getWithInfo(key, () => `reloaded ${key}`, tags ? { tags } : {})
  return result.provenance
}

describe('createCache: surgical invalidation', () => {
  async function seeded() {
    const cache = createCache()
    const lists = (user: number) => userKey(user, 'properties:list')
    const detail = (user: number, id: number) => userKey(user, 'properties:get', { id })

    for (const user of [42, 43]) {
      await cache.get(lists(user), () => 'list', { tags: [userEntityTag(user, 'property')] })
      await cache.get(detail(user, user * 10), () => 'detail', {
        tags: [`property:${user * 10}`, 'property'],
      })
    }
    await cache.get('global:stats', () => 'stats', { tags: ['property'] })

    return { cache, lists, detail }
  }

  it('invalidates one user without touching another', async () => {
    const { cache, lists, detail } = await seeded()

    await cache.invalidate({ user: 42 })

    expect(await provenance(cache, lists(42))).toBe('miss')
    expect(await provenance(cache, detail(42, 420))).toBe('miss')
    expect(await provenance(cache, lists(43))).toBe('hit')
    expect(await provenance(cache, detail(43, 430))).toBe('hit')
    expect(await provenance(cache, 'global:stats')).toBe('hit')
  })

  it('invalidates one user view of an entity type', async () => {
    const { cache, lists, detail } = await seeded()

    await cache.invalidate({ user: 42, entity: 'property' })

    expect(await provenance(cache, lists(42))).toBe('miss')
    expect(await provenance(cache, detail(42, 420))).toBe('hit')
    expect(await provenance(cache, lists(43))).toBe('hit')
  })

  it('invalidates one entity wherever it is cached', async () => {
    const { cache, detail, lists } = await seeded()

    await cache.invalidate({ entity: 'property', id: 420 })

    expect(await provenance(cache, detail(42, 420))).toBe('miss')
    expect(await provenance(cache, detail(43, 430))).toBe('hit')
    expect(await provenance(cache, lists(42))).toBe('hit')
  })

  it('invalidates an entity type for everybody', async () => {
    const { cache, detail, lists } = await seeded()

    await cache.invalidate({ entity: 'property' })

    expect(await provenance(cache, detail(42, 420))).toBe('miss')
    expect(await provenance(cache, detail(43, 430))).toBe('miss')
    expect(await provenance(cache, 'global:stats')).toBe('miss')
    expect(await provenance(cache, lists(42))).toBe('hit')
  })

  it('invalidates by tag and by key', async () => {
    const { cache, lists } = await seeded()

    await cache.invalidate({ tag: 'property:430' })
    await cache.invalidate({ key: lists(43) })

    expect(await provenance(cache, userKey(43, 'properties:get', { id: 430 }))).toBe('miss')
    expect(await provenance(cache, lists(43))).toBe('miss')
    expect(await provenance(cache, lists(42))).toBe('hit')
  })

  it('rejects targets that name nothing or are malformed', async () => {
    const cache = createCache()

    await expect(cache.invalidate({})).rejects.toSatisfy(isCacheKeyError)
    await expect(cache.invalidate({ id: 7 })).rejects.toThrow(/needs its entity type/)
    await expect(cache.invalidate({ user: 'a:b' })).rejects.toThrow(/userId must be/)
    await expect(cache.invalidate({ tag: 't', mode: 'gentle' as never })).rejects.toThrow(/mode/)
  })

  it('costs one version write per tag: it never scans entries', async () => {
    const cache = createCache()
    for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i, { tags: ['shared'] })

    await cache.invalidate({ tag: 'shared' })

    expect(cache.stats()).toMatchObject({ entries: 1000, tagVersions: 1 })
    expect(await provenance(cache, 'k999')).toBe('miss')
  })
})

describe('createCache: loads that race an invalidation', () => {
  it('returns the raced load to its own caller but never stores it', async () => {
    const cache = createCache()
    const load = deferred<string>()
    const discarded = vi.fn()
    cache.on('discarded', discarded)

    const racing = cache.get('k', () => load.promise, { tags: ['t'] })
    await cache.invalidate({ tag: 't' })
    load.resolve('loaded before the write')

    expect(await racing).toBe('loaded before the write')
    expect(discarded).toHaveBeenCalledWith({ key: 'k' })
    expect(await cache.get('k', () => 'after', { tags: ['t'] })).toBe('after')
  })

  it('does not let a reader that began after invalidate() join the older load', async () => {
    const cache = createCache()
    const old = deferred<string>()
    const loader = vi.fn((_signal: AbortSignal) => old.promise)

    const first = cache.get('k', loader, { tags: ['t'] })
    await cache.invalidate({ tag: 't' })
    const second = cache.getWithInfo('k', () => 'new', { tags: ['t'] })
    old.resolve('old')

    expect(await first).toBe('old')
    expect(await second).toMatchObject({ value: 'new', provenance: 'miss' })
  })

  it('starts the newer load only after the older one settled', async () => {
    const cache = createCache()
    const old = deferred<string>()
    const newer = vi.fn(() => 'new')

    const first = cache.get('k', () => old.promise, { tags: ['t'] })
    await cache.invalidate({ tag: 't' })
    const second = cache.get('k', newer, { tags: ['t'] })
    await Promise.resolve()

    expect(newer).not.toHaveBeenCalled()
    old.resolve('old')
    await first
    expect(await second).toBe('new')
    expect(newer).toHaveBeenCalledTimes(1)
  })

  it('fences a load when its key is invalidated', async () => {
    const cache = createCache()
    const load = deferred<string>()

    const racing = cache.get('k', () => load.promise)
    await cache.invalidate({ key: 'k' })
    load.resolve('old')
    await racing

    expect(await cache.get('k', () => 'new')).toBe('new')
  })

  it('does not let an older load overwrite a value written with set', async () => {
    const cache = createCache()
    const load = deferred<string>()

    const racing = cache.get('k', () => load.promise)
    cache.set('k', 'written')
    load.resolve('old')
    await racing

    expect(await cache.get('k', () => 'loaded')).toBe('written')
  })
})

describe('createCache: hard and soft invalidation', () => {
  it('hard invalidation leaves nothing to fall back on', async () => {
    const cache = createCache({ graceMs: 60_000 })
    await cache.get('k', () => 'old', { tags: ['t'] })

    await cache.invalidate({ tag: 't' })

    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down')
  })

  it('soft invalidation ends freshness but keeps the entry as a fallback', async () => {
    const cache = createCache({ graceMs: 60_000 })
    await cache.get('k', () => 'old', { tags: ['t'] })

    await cache.invalidate({ tag: 't', mode: 'soft' })

    const failing = await cache.getWithInfo('k', () => Promise.reject(new Error('down')))
    expect(failing).toMatchObject({ value: 'old', provenance: 'stale' })
    expect(await cache.get('k', () => 'new')).toBe('new')
  })

  it('soft invalidation of a key keeps it as a fallback too', async () => {
    const cache = createCache({ graceMs: 60_000 })
    await cache.get('k', () => 'old')

    await cache.invalidate({ key: 'k', mode: 'soft' })

    const failing = await cache.getWithInfo('k', () => Promise.reject(new Error('down')))
    expect(failing).toMatchObject({ value: 'old', provenance: 'stale' })
  })

  it('a hard invalidation after a soft one wins', async () => {
    const cache = createCache({ graceMs: 60_000 })
    await cache.get('k', () => 'old', { tags: ['a', 'b'] })

    await cache.invalidate({ tag: 'a', mode: 'soft' })
    await cache.invalidate({ tag: 'b' })

    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down')
  })
})

describe('createCache: namespaces and the invalidation bus', () => {
  it('carries invalidations to every cache on the bus', async () => {
    const bus = createMemoryBus()
    const a = createCache({ bus })
    const b = createCache({ bus })
    const remote = vi.fn()
    b.on('invalidate', remote)
    await a.get('k', () => 'a', { tags: ['t'] })
    await b.get('k', () => 'b', { tags: ['t'] })

    await a.invalidate({ tag: 't' })

    expect(await provenance(a, 'k')).toBe('miss')
    expect(await provenance(b, 'k')).toBe('miss')
    expect(remote).toHaveBeenCalledWith({ tags: ['t'], keys: [], mode: 'hard', remote: true })
  })

  it('ignores invalidations from another namespace', async () => {
    const bus = createMemoryBus()
    const v1 = createCache({ bus, namespace: 'v1' })
    const v2 = createCache({ bus, namespace: 'v2' })
    await v2.get('k', () => 'v2', { tags: ['t'] })

    await v1.invalidate({ tag: 't' })

    expect(await provenance(v2, 'k')).toBe('hit')
  })

  it('stops listening once closed', async () => {
    const bus = createMemoryBus()
    const a = createCache({ bus })
    const b = createCache({ bus })
    await b.get('k', () => 'b', { tags: ['t'] })

    b.close()
    await a.invalidate({ tag: 't' })

    expect(await provenance(b, 'k')).toBe('hit')
  })

  it('rejects invalidate() when the bus cannot publish, after invalidating locally', async () => {
    const failure = new Error('bus down')
    const bus = { publish: () => Promise.reject(failure), subscribe: () => () => {} }
    const cache = createCache({ bus })
    await cache.get('k', () => 'old', { tags: ['t'] })

    await expect(cache.invalidate({ tag: 't' })).rejects.toMatchObject({
      code: 'BALLAST_CACHE_INVALIDATION_PENDING',
      cause: failure,
    })
    expect(await provenance(cache, 'k')).toBe('miss')
  })
})

describe('createCache: tag version bookkeeping', () => {
  it('forgets versions no live entry depends on once the table grows', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock })

    for (let user = 0; user < 25_000; user++) await cache.invalidate({ user })
    await cache.get('k', () => 'v', { tags: ['user:1'] })

    expect(cache.stats().tagVersions).toBeLessThan(25_000)
    expect(await provenance(cache, 'k')).toBe('hit')
  })
})

import { createCache } from '@ballast/cache'
import { createCache as createDedupeCache } from 'async-cache-dedupe'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { createCache as createCacheManager } from 'cache-manager'
import { LRUCache } from 'lru-cache'
import type { Contender, Suite } from '../harness'

const HOT_KEYS = 1024
const keys = Array.from({ length: HOT_KEYS }, (_, i) => `user:${i % 50}:properties:list:${i}`)
const value = { id: 1, name: 'Harbour View', units: 12, rent: 1850 }

function bento(maxItems: number) {
  return new BentoCache({
    default: 'memory',
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems, serialize: false })) },
  })
}

/** Suite 1: a read of a key that is cached and fresh. */
export async function hitPathSuite(): Promise<Suite> {
  const ops = 1000
  const lru = new LRUCache<string, typeof value>({ max: 10_000 })
  const lruFetch = new LRUCache<string, typeof value>({
    max: 10_000,
    fetchMethod: async () => value,
  })
  const ours = createCache({ ttlMs: 3_600_000 })
  const bentoCache = bento(10_000)
  const dedupe = createDedupeCache({
    ttl: 3600,
    storage: { type: 'memory', options: { size: 10_000 } },
  })
  const dedupeFetch = dedupe.define('fetch', async (_key: string) => value)
  const manager = createCacheManager()
  const load = () => value

  for (const key of keys) {
    lru.set(key, value)
    await lruFetch.fetch(key)
    await ours.get(key, load)
    await bentoCache.getOrSet({ key, factory: load, ttl: '1h' })
    await dedupeFetch.fetch(key)
    await manager.wrap(key, load, 3_600_000)
  }

  return {
    name: 'Cache hit path',
    operation: 'one read of a fresh key among 1,024 hot keys',
    baseline: 'lru-cache get (sync, the floor)',
    opsPerBatch: ops,
    contenders: [
      {
        name: 'lru-cache get (sync, the floor)',
        run: () => {
          for (let i = 0; i < ops; i++) lru.get(keys[i & 1023] as string)
        },
      },
      {
        name: 'await lru-cache get (floor of any promise API)',
        run: async () => {
          for (let i = 0; i < ops; i++) await lru.get(keys[i & 1023] as string)
        },
      },
      {
        name: '@ballast/cache get',
        run: async () => {
          for (let i = 0; i < ops; i++) await ours.get(keys[i & 1023] as string, load)
        },
      },
      {
        name: 'lru-cache fetch',
        run: async () => {
          for (let i = 0; i < ops; i++) await lruFetch.fetch(keys[i & 1023] as string)
        },
      },
      {
        name: 'async-cache-dedupe',
        run: async () => {
          for (let i = 0; i < ops; i++) await dedupeFetch.fetch(keys[i & 1023] as string)
        },
      },
      {
        name: 'cache-manager wrap',
        run: async () => {
          for (let i = 0; i < ops; i++)
            await manager.wrap(keys[i & 1023] as string, load, 3_600_000)
        },
      },
      {
        name: 'bentocache getOrSet (memory)',
        run: async () => {
          for (let i = 0; i < ops; i++) {
            await bentoCache.getOrSet({ key: keys[i & 1023] as string, factory: load, ttl: '1h' })
          }
        },
      },
    ],
  }
}

/** Suite 2: 100 concurrent readers of one cold key, answered by a source one tick away. */
export async function missStormSuite(): Promise<Suite> {
  const callers = 100
  const counts = new Map<string, { storms: number; loads: number }>()
  const slowSource = (name: string) => () => {
    const count = counts.get(name) as { loads: number }
    count.loads++
    return new Promise<typeof value>((resolve) => setImmediate(() => resolve(value)))
  }
  let sequence = 0
  const storm = (name: string, read: (key: string) => Promise<unknown>) => {
    counts.set(name, { storms: 0, loads: 0 })
    return {
      name,
      run: async () => {
        const key = `cold:${sequence++}`
        const count = counts.get(name) as { storms: number }
        count.storms++
        await Promise.all(Array.from({ length: callers }, () => read(key)))
      },
      note: () => {
        const count = counts.get(name) as { storms: number; loads: number }
        return `${(count.loads / count.storms).toFixed(2)} loader calls per storm`
      },
    }
  }

  const ours = createCache({ maxBytes: 256 * 1024 * 1024 })
  const oursLoad = slowSource('@ballast/cache get')
  const lru = new LRUCache<string, typeof value>({
    max: 100_000,
    fetchMethod: () => lruLoad(),
  })
  const lruLoad = slowSource('lru-cache fetch')
  const bentoCache = bento(100_000)
  const bentoLoad = slowSource('bentocache getOrSet (memory)')
  const dedupe = createDedupeCache({
    ttl: 3600,
    storage: { type: 'memory', options: { size: 100_000 } },
  })
  const dedupeLoad = slowSource('async-cache-dedupe')
  const dedupeFetch = dedupe.define('fetch', async (_key: string) => dedupeLoad())
  const manager = createCacheManager()
  const managerLoad = slowSource('cache-manager wrap')

  return {
    name: 'Cache miss storm',
    operation: `${callers} concurrent reads of one cold key, until the last is answered`,
    baseline: '@ballast/cache get',
    opsPerBatch: 1,
    contenders: [
      storm('@ballast/cache get', (key) => ours.get(key, oursLoad)),
      storm('lru-cache fetch', (key) => lru.fetch(key)),
      storm('async-cache-dedupe', (key) => dedupeFetch.fetch(key)),
      storm('cache-manager wrap', (key) => manager.wrap(key, managerLoad, 3_600_000)),
      storm('bentocache getOrSet (memory)', (key) =>
        bentoCache.getOrSet({ key, factory: bentoLoad, ttl: '1h' }),
      ),
    ],
  }
}

/**
 * Suite 3: one invalidation call for a tag that covers `entries` cached entries. Each sample
 * is preceded, untimed, by making every entry cached again, so eager deletions always have
 * the full set to remove.
 */
export async function invalidationSuite(entries: number, withDedupe: boolean): Promise<Suite> {
  const tagged = Array.from({ length: entries }, (_, i) => `entry:${i}`)
  const tag = 'property'

  const ours = createCache({ maxBytes: 1024 * 1024 * 1024, maxEntryBytes: 1024 * 1024 })
  const oursLoad = () => value
  const bentoCache = bento(entries + 10)
  const dedupe = createDedupeCache({
    ttl: 3600,
    storage: { type: 'memory', options: { size: entries + 10, invalidation: true } },
  })
  const dedupeFetch = dedupe.define(
    'fetch',
    { references: () => [tag] },
    async (_key: string) => value,
  )

  for (const key of tagged) {
    await ours.get(key, oursLoad, { tags: [tag] })
    await bentoCache.getOrSet({ key, factory: oursLoad, ttl: '1h', tags: [tag] })
  }

  const contenders: Contender[] = [
    // The two lazy schemes cost the same whether or not the entries were read since the last
    // invalidation, so they are filled once; the eager one is refilled before every sample.
    {
      name: '@ballast/cache invalidate (version bump)',
      run: () => ours.invalidate({ tag }),
    },
    {
      name: 'bentocache deleteByTag',
      run: () => bentoCache.deleteByTag({ tags: [tag] }),
    },
  ]

  if (withDedupe) {
    contenders.push({
      name: 'async-cache-dedupe invalidateAll',
      beforeEach: async () => {
        for (const key of tagged) await dedupeFetch.fetch(key)
      },
      run: () => dedupe.invalidateAll([tag]),
    })
  }

  return {
    name: `Tag invalidation, ${entries.toLocaleString('en-US')} entries`,
    operation: `one invalidation of a tag covering ${entries.toLocaleString('en-US')} entries`,
    baseline: '@ballast/cache invalidate (version bump)',
    opsPerBatch: 1,
    contenders,
  }
}

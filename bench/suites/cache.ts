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

/**
 * The options of every lru-cache in these suites: bounded by bytes, as @ballast/cache bounds
 * its own LRU, so that all of them run lru-cache's code on one shape of cache. With a
 * count-bounded LRU (`max`) in the same process, lru-cache's `get` took four times as long
 * on the count-bounded floor as it does in a process of its own (V8 had optimised it for
 * both shapes), and every ratio against that floor looked four times better than it is.
 */
function byteBounded() {
  return { maxSize: 100 * 1024 * 1024, sizeCalculation: () => 256 }
}

/** Suite 1: a read of a key that is cached and fresh. */
export async function hitPathSuite(): Promise<Suite> {
  const ops = 1000
  const lru = new LRUCache<string, typeof value>(byteBounded())
  const lruFetch = new LRUCache<string, typeof value>({
    ...byteBounded(),
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
  const oursMissesBefore = ours.stats().misses

  return {
    name: 'Cache hit path',
    operation: 'one read of a fresh key among 1,024 hot keys, 1,000 reads in a row',
    baseline: 'lru-cache get',
    opsPerBatch: ops,
    contenders: [
      {
        name: 'lru-cache get',
        includes: 'the floor: one synchronous LRU look-up, no promise',
        run: () => {
          for (let i = 0; i < ops; i++) lru.get(keys[i & 1023] as string)
        },
      },
      {
        name: 'await lru-cache get',
        includes: 'the floor plus one `await`: what any promise-returning read pays',
        run: async () => {
          for (let i = 0; i < ops; i++) await lru.get(keys[i & 1023] as string)
        },
      },
      {
        name: '@ballast/cache get',
        includes:
          'LRU look-up, freshness (cached clock read, tag-version check), hit counter, ' +
          "`await` of the entry's settled promise",
        run: async () => {
          for (let i = 0; i < ops; i++) await ours.get(keys[i & 1023] as string, load)
        },
        note: () => `${ours.stats().misses - oursMissesBefore} misses while timed`,
      },
      {
        name: '@ballast/cache getIfFresh',
        includes: 'the same look-up and freshness check, answered synchronously: no promise',
        run: () => {
          for (let i = 0; i < ops; i++) ours.getIfFresh(keys[i & 1023] as string)
        },
      },
      {
        name: 'lru-cache fetch',
        includes: 'LRU look-up, staleness check, promise, `await`',
        run: async () => {
          for (let i = 0; i < ops; i++) await lruFetch.fetch(keys[i & 1023] as string)
        },
      },
      {
        name: 'async-cache-dedupe fetch',
        includes: 'key from a stable stringify of the argument, memory storage read, `await`',
        run: async () => {
          for (let i = 0; i < ops; i++) await dedupeFetch.fetch(keys[i & 1023] as string)
        },
      },
      {
        name: 'cache-manager wrap',
        includes: 'coalescing wrapper, Keyv memory store read, `await`',
        run: async () => {
          for (let i = 0; i < ops; i++) {
            await manager.wrap(keys[i & 1023] as string, load, 3_600_000)
          }
        },
      },
      {
        name: 'bentocache getOrSet',
        includes: 'per-call options object, memory L1 read (not serialized), `await`',
        run: async () => {
          for (let i = 0; i < ops; i++) {
            await bentoCache.getOrSet({ key: keys[i & 1023] as string, factory: load, ttl: '1h' })
          }
        },
      },
    ],
    remarks: [
      'Every cache holds the same 1,024 entries, loaded before timing, with a one-hour TTL.',
      'The reads run back to back in one event-loop turn, so a clock read that is cached ' +
        'per turn (ours, see docs/performance.md) is paid once per batch here.',
    ],
  }
}

/**
 * Suite 1b: one read per event-loop turn, as on a quiet server. Each operation is a whole
 * turn (a `setImmediate`), so what a read costs shows as the difference to the empty turn,
 * including the clock: ours reads it once per turn, and so pays for it on every read here.
 */
export async function hitPerTurnSuite(): Promise<Suite> {
  const turns = 100
  const lru = new LRUCache<string, typeof value>(byteBounded())
  const ours = createCache({ ttlMs: 3_600_000 })
  const load = () => value
  for (const key of keys) {
    lru.set(key, value)
    await ours.get(key, load)
  }
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

  return {
    name: 'Cache hit, one read per turn',
    operation: 'one event-loop turn holding one read of a fresh key, 100 turns in a row',
    baseline: 'empty turn',
    opsPerBatch: turns,
    contenders: [
      {
        name: 'empty turn',
        includes: 'a `setImmediate` and its `await`, no read',
        run: async () => {
          for (let i = 0; i < turns; i++) await nextTurn()
        },
      },
      {
        name: 'await lru-cache get',
        includes: 'the turn, one LRU look-up and its `await`',
        run: async () => {
          for (let i = 0; i < turns; i++) {
            await nextTurn()
            await lru.get(keys[i & 1023] as string)
          }
        },
      },
      {
        name: '@ballast/cache get',
        includes: 'the turn, one hit with a fresh clock reading (`Date.now` + `setImmediate`)',
        run: async () => {
          for (let i = 0; i < turns; i++) {
            await nextTurn()
            await ours.get(keys[i & 1023] as string, load)
          }
        },
      },
    ],
    remarks: [
      'The difference to the empty turn is what one read costs when it is alone in its turn.',
    ],
  }
}

/** Suite 2: 100 concurrent readers of one cold key, answered by a source one turn away. */
export async function missStormSuite(): Promise<Suite> {
  const callers = 100
  const counts = new Map<string, { storms: number; loads: number }>()
  const slowSource = (name: string) => () => {
    const count = counts.get(name) as { loads: number }
    count.loads++
    return new Promise<typeof value>((resolve) => setImmediate(() => resolve(value)))
  }
  let sequence = 0
  const storm = (
    name: string,
    includes: string,
    read: (key: string) => Promise<unknown>,
  ): Contender => {
    counts.set(name, { storms: 0, loads: 0 })
    return {
      name,
      includes,
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

  const bareLoad = slowSource('no cache')
  const ours = createCache({ maxBytes: 256 * 1024 * 1024 })
  const oursLoad = slowSource('@ballast/cache get')
  const lru = new LRUCache<string, typeof value>({
    ...byteBounded(),
    fetchMethod: () => lruLoad(),
  })
  const lruLoad = slowSource('lru-cache fetch')
  const bentoCache = bento(100_000)
  const bentoLoad = slowSource('bentocache getOrSet')
  const dedupe = createDedupeCache({
    ttl: 3600,
    storage: { type: 'memory', options: { size: 100_000 } },
  })
  const dedupeLoad = slowSource('async-cache-dedupe fetch')
  const dedupeFetch = dedupe.define('fetch', async (_key: string) => dedupeLoad())
  const manager = createCacheManager()
  const managerLoad = slowSource('cache-manager wrap')

  return {
    name: 'Cache miss storm',
    operation: `${callers} concurrent reads of one cold key, until the last is answered`,
    baseline: '@ballast/cache get',
    opsPerBatch: 1,
    contenders: [
      storm('no cache', 'every caller calls the source itself', () => bareLoad()),
      storm('@ballast/cache get', 'one load shared by all callers, then stored', (key) =>
        ours.get(key, oursLoad),
      ),
      storm('lru-cache fetch', "one fetch held in the key's slot", (key) => lru.fetch(key)),
      storm('async-cache-dedupe fetch', 'in-flight promise map', (key) => dedupeFetch.fetch(key)),
      storm('cache-manager wrap', 'coalesced wrap', (key) =>
        manager.wrap(key, managerLoad, 3_600_000),
      ),
      storm('bentocache getOrSet', 'per-key lock, joiners read L1 after it', (key) =>
        bentoCache.getOrSet({ key, factory: bentoLoad, ttl: '1h' }),
      ),
    ],
    remarks: [
      'The source answers on the next event-loop turn (`setImmediate`); every storm uses a ' +
        'new key, so each one is a true miss. The time is until the last caller has its value.',
    ],
  }
}

/** Invalidations per batch for the lazy schemes, whose cost does not depend on the last one. */
const LAZY_BATCH = 100

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
  const held = ours.stats().entries

  const contenders: Contender[] = [
    // The two lazy schemes cost the same whether or not the entries were read since the last
    // invalidation, so they are filled once and run in batches; the eager one is refilled
    // before every sample of one call.
    {
      name: '@ballast/cache invalidate',
      includes: 'one tag-version write (entries are judged when next read)',
      opsPerBatch: LAZY_BATCH,
      run: async () => {
        for (let i = 0; i < LAZY_BATCH; i++) await ours.invalidate({ tag })
      },
      note: () => `${held.toLocaleString('en-US')} ${held === 1 ? 'entry' : 'entries'} held`,
    },
    {
      name: 'bentocache deleteByTag',
      includes: 'one tag-timestamp write (entries are judged when next read)',
      opsPerBatch: LAZY_BATCH,
      run: async () => {
        for (let i = 0; i < LAZY_BATCH; i++) await bentoCache.deleteByTag({ tags: [tag] })
      },
    },
  ]

  if (withDedupe) {
    contenders.push({
      name: 'async-cache-dedupe invalidateAll',
      includes: 'eager delete of every entry through the reverse index',
      opsPerBatch: 1,
      beforeEach: async () => {
        for (const key of tagged) await dedupeFetch.fetch(key)
      },
      run: () => dedupe.invalidateAll([tag]),
    })
  }

  const covered = `${entries.toLocaleString('en-US')} ${entries === 1 ? 'entry' : 'entries'}`
  return {
    name: `Tag invalidation, ${covered}`,
    operation: `one invalidation of a tag covering ${covered}`,
    baseline: '@ballast/cache invalidate',
    opsPerBatch: LAZY_BATCH,
    contenders,
    remarks: [
      'The lazy schemes move the work to reads: the next read of each covered entry finds ' +
        'it invalidated (ours: one map look-up per tag) and loads it again.',
      'async-cache-dedupe runs one call per sample, after refilling its entries untimed; the ' +
        'lazy schemes run 100 calls per sample.',
      ...(withDedupe
        ? []
        : [
            'async-cache-dedupe is left out: its eager clean-up is quadratic, about 11 s per ' +
              'call at 100,000 entries in our research (shared/research/cache.md).',
          ]),
    ],
  }
}

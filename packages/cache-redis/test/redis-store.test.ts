import type { InvalidationMessage, StoreEntry } from '@ballast/cache'
import { createRedisStore, isRedisUnavailableError, type RedisStore } from '@ballast/cache-redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { connect, redisUrl, removeKeys, unique } from './support'

const NOW = 1_000_000

function entry(value: unknown, tags: string[] = [], lifeMs = 60_000): StoreEntry {
  return { value, tags, loadedAt: NOW, freshUntil: NOW + lifeMs / 2, graceUntil: NOW + lifeMs }
}

function invalidation(
  namespace: string,
  fields: Partial<InvalidationMessage>,
): InvalidationMessage {
  return { namespace, origin: 'test', tags: [], keys: [], mode: 'hard', ...fields }
}

describe('createRedisStore: options', () => {
  it('rejects options that cannot work', () => {
    expect(() => createRedisStore({ redis: {} as Redis })).toThrow(
      'createRedisStore: options.redis must be an ioredis client, ' +
        'received an object of another shape',
    )
    const redis = new Redis({ lazyConnect: true })
    expect(() => createRedisStore({ redis, timeoutMs: 0 })).toThrow(
      'createRedisStore: options.timeoutMs must be a positive number of milliseconds, received 0',
    )
    redis.disconnect()
  })

  it('refuses calls at once while the connection is not ready', async () => {
    const redis = new Redis({ lazyConnect: true })
    const store = createRedisStore({ redis })

    await expect(store.read('ns', ['k'])).rejects.toSatisfy(isRedisUnavailableError)
    await expect(store.read('ns', ['k'])).rejects.toThrow(
      'Redis read failed: the connection is wait',
    )
    expect(store.snapshot()).toMatchObject({ connection: 'wait', reads: 2, readFailures: 2 })
    redis.disconnect()
  })
})

describe.skipIf(!redisUrl)('createRedisStore against Redis (needs REDIS_URL)', () => {
  let redis: Redis
  let store: RedisStore
  let ns: string

  beforeAll(async () => {
    redis = await connect(redisUrl as string)
  })
  beforeEach(() => {
    ns = unique('store')
    store = createRedisStore({ redis })
  })
  afterAll(async () => {
    await removeKeys(redis, 'test-store')
    redis.disconnect()
  })

  const read = async (key: string) => (await store.read(ns, [key])).entries[0]

  it('reads back what it wrote, with a stamp for the next load', async () => {
    const { stamp } = await store.read(ns, ['k'])
    await store.write(ns, stamp, [{ key: 'k', entry: entry({ rows: [1, 2] }, ['t']) }])

    expect(await read('k')).toEqual({ ...entry({ rows: [1, 2] }, ['t']), standing: 'current' })
    expect(stamp).toMatch(/^\S+ 0 \d+$/)
  })

  it('namespaces its keys and expires entries when their grace ends', async () => {
    await store.write(ns, undefined, [{ key: 'k', entry: entry('v', [], 30_000) }])

    expect(await redis.exists(`${ns}:e:k`)).toBe(1)
    const ttl = await redis.pttl(`${ns}:e:k`)
    expect(ttl).toBeGreaterThan(25_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
  })

  it('judges entries against hard and soft invalidations of their tags and keys', async () => {
    await store.write(ns, undefined, [
      { key: 'a', entry: entry('a', ['hard']) },
      { key: 'b', entry: entry('b', ['soft']) },
      { key: 'c', entry: entry('c') },
      { key: 'd', entry: entry('d') },
    ])

    await store.invalidate(invalidation(ns, { tags: ['hard'] }))
    await store.invalidate(invalidation(ns, { tags: ['soft'], mode: 'soft' }))
    await store.invalidate(invalidation(ns, { keys: ['c'] }))
    await store.invalidate(invalidation(ns, { keys: ['d'], mode: 'soft' }))

    const { entries } = await store.read(ns, ['a', 'b', 'c', 'd'])
    expect(entries.map((found) => found?.standing)).toEqual([undefined, 'soft', undefined, 'soft'])
    expect(await redis.exists(`${ns}:e:a`, `${ns}:e:c`)).toBe(0)
  })

  it('refuses a write stamped before an invalidation of its tags or key', async () => {
    const { stamp } = await store.read(ns, ['k', 'j'])

    await store.invalidate(invalidation(ns, { tags: ['t'] }))
    await store.invalidate(invalidation(ns, { keys: ['j'], mode: 'soft' }))
    await store.write(ns, stamp, [
      { key: 'k', entry: entry('raced', ['t']) },
      { key: 'j', entry: entry('raced') },
    ])

    expect((await store.read(ns, ['k', 'j'])).entries).toEqual([undefined, undefined])
  })

  it('never replaces an entry by one with an older stamp', async () => {
    const older = (await store.read(ns, ['k'])).stamp
    await store.invalidate(invalidation(ns, { tags: ['unrelated'] }))
    const newer = (await store.read(ns, ['k'])).stamp

    await store.write(ns, newer, [{ key: 'k', entry: entry('newer') }])
    await store.write(ns, older, [{ key: 'k', entry: entry('older') }])

    expect(await read('k')).toMatchObject({ value: 'newer' })
  })

  it('invalidates with one script and one field per tag, whatever the entries', async () => {
    const writes = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, entry: entry(i, ['t']) }))
    await store.write(ns, undefined, writes)
    const evalsha = vi.spyOn(redis, 'evalsha')

    await store.invalidate(invalidation(ns, { tags: ['t'] }))

    expect(evalsha).toHaveBeenCalledTimes(1)
    expect(await redis.hkeys(`${ns}:v`)).toEqual(
      expect.arrayContaining(['epoch', 'seq', 'life', 't:t']),
    )
    expect(await redis.hlen(`${ns}:v`)).toBe(5) // epoch, seq, life, cursor and t:t
    expect(await redis.exists(`${ns}:e:k499`)).toBe(1)
    expect(await read('k499')).toBeUndefined()
    evalsha.mockRestore()
  })

  it('reads several entries and their tag versions in one round trip', async () => {
    await store.write(ns, undefined, [
      { key: 'x', entry: entry('x', ['t1', 't2']) },
      { key: 'y', entry: entry('y', ['t3']) },
    ])
    const evalsha = vi.spyOn(redis, 'evalsha')

    const { entries } = await store.read(ns, ['x', 'y', 'z'])

    expect(entries.map((found) => found?.value)).toEqual(['x', 'y', undefined])
    expect(evalsha).toHaveBeenCalledTimes(1)
    evalsha.mockRestore()
  })

  it('forgets one whole namespace on an invalidation of everything', async () => {
    const other = unique('store')
    await store.write(ns, undefined, [{ key: 'k', entry: entry('v') }])
    await store.write(other, undefined, [{ key: 'k', entry: entry('v') }])

    await store.invalidate(invalidation(ns, { all: true }))

    expect(await read('k')).toBeUndefined()
    expect((await store.read(other, ['k'])).entries[0]).toMatchObject({ value: 'v' })
  })

  it('treats entries as gone once the versions hash was lost', async () => {
    const { stamp } = await store.read(ns, ['k'])
    await store.write(ns, stamp, [{ key: 'k', entry: entry('before the loss') }])

    await redis.del(`${ns}:v`) // what a restart without persistence or an eviction does

    expect(await read('k')).toBeUndefined()
    await store.write(ns, stamp, [{ key: 'j', entry: entry('raced across the loss') }])
    expect(await read('j')).toBeUndefined()
  })

  it('prunes versions older than any entry could be', async () => {
    await store.write(ns, undefined, [{ key: 'k', entry: entry('v') }])
    const longAgo = Date.now() - 10 * 3_600_000
    await redis.hset(`${ns}:v`, 't:ancient', `1 1 ${longAgo}`)

    await store.invalidate(invalidation(ns, { tags: ['fresh'] }))

    expect(await redis.hexists(`${ns}:v`, 't:ancient')).toBe(0)
    expect(await redis.hexists(`${ns}:v`, 't:fresh')).toBe(1)
  })

  it('uses the given serializer, and treats an unreadable entry as absent', async () => {
    const dated = createRedisStore({
      redis,
      serializer: {
        serialize: (value) => JSON.stringify({ at: (value as Date).toISOString() }),
        deserialize: (text) => new Date((JSON.parse(text) as { at: string }).at),
      },
    })
    await dated.write(ns, undefined, [{ key: 'd', entry: entry(new Date(0)) }])
    expect((await dated.read(ns, ['d'])).entries[0]?.value).toEqual(new Date(0))

    await redis.hset(`${ns}:e:d`, 'v', 'not json')
    expect((await dated.read(ns, ['d'])).entries).toEqual([undefined])
    expect(dated.snapshot().unreadable).toBe(1)
  })

  it('leaves out values JSON cannot hold, and writes the rest', async () => {
    await store.write(ns, undefined, [
      { key: 'big', entry: entry(10n) },
      { key: 'ok', entry: entry('fine') },
    ])

    expect((await store.read(ns, ['big', 'ok'])).entries.map((found) => found?.value)).toEqual([
      undefined,
      'fine',
    ])
  })

  it('reports the connection in its health check', async () => {
    const check = store.healthCheck({ name: 'cache-store' })

    expect(check).toMatchObject({ name: 'cache-store', critical: false })
    expect(await check.run(new AbortController().signal)).toMatchObject({
      status: 'pass',
      observedUnit: 'ms',
    })
  })
})

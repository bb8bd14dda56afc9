import {
  type Cache,
  type CacheResult,
  createCache,
  tagsForWrite,
  userEntityTag,
  userKey,
} from '@ballast/cache'
import { createRedisBus, createRedisStore, type RedisBus } from '@ballast/cache-redis'
import type { Redis, RedisOptions } from 'ioredis'
import { connect, settle } from './support'

/** One service instance, as its own process would have it: its own client, store and bus. */
export interface Instance {
  readonly name: string
  readonly redis: Redis
  readonly bus: RedisBus
  readonly cache: Cache
}

/** Opens an instance and waits until its bus listens. */
export async function openInstance(
  name: string,
  url: string,
  namespace: string,
  channel: string,
  redisOptions: RedisOptions = {},
): Promise<Instance> {
  const redis = await connect(url, redisOptions)
  const bus = createRedisBus({ redis, channel, heartbeatMs: 200 })
  const cache = createCache({
    namespace,
    store: createRedisStore({ redis }),
    bus,
    ttlMs: 60_000,
    graceMs: 60_000,
  })
  await bus.ready()

  return { name, redis, bus, cache }
}

/** Closes an instance's cache, bus and client. */
export async function closeInstance(instance: Instance): Promise<void> {
  instance.cache.close()
  await instance.bus.close()
  instance.redis.disconnect()
}

/** What the source of truth holds: one revision number per user. */
export class Source {
  readonly #revisions = new Map<number, number>()
  /** The newest revision per user whose invalidation resolved: what reads must see. */
  readonly committed = new Map<number, number>()

  revision(user: number): number {
    return this.#revisions.get(user) ?? 0
  }

  /** Changes a user's data and returns its new revision. */
  write(user: number): number {
    const revision = this.revision(user) + 1
    this.#revisions.set(user, revision)
    return revision
  }

  commit(user: number, revision: number): void {
    this.committed.set(user, Math.max(this.committed.get(user) ?? 0, revision))
  }
}

export interface Value {
  readonly user: number
  readonly revision: number
}

export const keyOf = (user: number) => userKey(user, 'items:list')
export const tagsOf = (user: number) => [userEntityTag(user, 'item')]
export const writeTags = (user: number) => tagsForWrite('item:create', { user })

/**
 * Reads a user's list through an instance. The loader reads the source when called and
 * answers a few event-loop turns later, so loads overlap writes and Redis round trips.
 */
export function readList(
  instance: Instance,
  source: Source,
  user: number,
  turns: number,
): Promise<CacheResult<Value>> {
  return instance.cache.getWithInfo<Value>(
    keyOf(user),
    async () => {
      const value = { user, revision: source.revision(user) }
      for (let turn = 0; turn < turns; turn++) await settle()
      return value
    },
    { tags: tagsOf(user) },
  )
}

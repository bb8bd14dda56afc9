import { randomUUID } from 'node:crypto'
import type {
  InvalidationMessage,
  SharedStore,
  StoredEntry,
  StoreRead,
  StoreWrite,
} from '@ballast/cache'
import type { Redis } from 'ioredis'
import { call } from './call'
import { RedisUnavailableError } from './errors'
import { checkShape, type HealthCheck, type HealthCheckOptions, redisHealthCheck } from './health'
import { checkRedis, checkTimeout } from './options'
import { jsonSerializer, type Serializer } from './serializer'
import { INVALIDATE, READ, WRITE } from './store-scripts'

/** Settings of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * The ioredis client the store sends its scripts through. Its reads, writes and
   * invalidations must go through this one connection, in order: that is what keeps a read
   * made before an invalidation from being trusted after it.
   */
  readonly redis: Redis
  /**
   * Turns values into the text Redis keeps, and back.
   * @defaultValue {@link jsonSerializer}
   */
  readonly serializer?: Serializer
  /**
   * The deadline of each call, in milliseconds. A read past it counts as a miss, so a slow
   * Redis costs a miss at most this much.
   * @defaultValue `250`
   */
  readonly timeoutMs?: number
}

/** Counters of a {@link RedisStore}, as plain data for health reports. */
export interface RedisStoreSnapshot {
  /** The ioredis connection status: `ready` when calls can be made. */
  readonly connection: string
  /** Reads made. */
  readonly reads: number
  /** Reads that failed (each counted as a miss). */
  readonly readFailures: number
  /** Writes made. */
  readonly writes: number
  /** Writes that failed. */
  readonly writeFailures: number
  /** Invalidations recorded. */
  readonly invalidations: number
  /** Invalidations that failed (each kept in its cache's outbox). */
  readonly invalidationFailures: number
  /** Entries found in Redis that the serializer could not read back, treated as absent. */
  readonly unreadable: number
  /** The message of the last failure, if any. */
  readonly lastError: string | undefined
}

/** A `SharedStore` in Redis, with a snapshot and a health check. */
export interface RedisStore extends SharedStore {
  /** Counters and the connection status now. */
  snapshot(): RedisStoreSnapshot
  /**
   * A health check for `@ballast/health`: a `PING` through the store's connection, failing
   * while it is not ready.
   */
  healthCheck(options?: HealthCheckOptions): HealthCheck
}

/**
 * A shared store in Redis for `@ballast/cache`. Entries live under `<namespace>:e:<key>` and
 * expire when their grace ends; tag and key versions live in one hash per namespace,
 * `<namespace>:v`, so invalidating a tag is one Lua script (one sequence step and one field
 * per tag), whatever the number of entries. A read is one script too: it returns the
 * entries, each judged against the versions of its key and tags (hard: deleted; soft:
 * fallback only), and the stamp for the load that follows. A write carries that stamp, and
 * the script refuses it if an invalidation reached the entry in between, so a load that
 * raced an invalidation made by any instance is never stored as fresh.
 *
 * Calls are refused at once while the connection is not ready and time out after
 * `timeoutMs`; nothing waits in ioredis's offline queue. Redis Cluster is not supported: a
 * read touches an entry and its namespace's versions, which Cluster would need in one slot.
 *
 * @example
 * ```ts
 * const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 })
 * const cache = createCache({
 *   namespace: 'property-api:v1',
 *   store: createRedisStore({ redis }),
 *   bus: createRedisBus({ redis }),
 * })
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const redis = checkRedis('createRedisStore', options?.redis)
  const serializer = options.serializer ?? jsonSerializer
  if (typeof serializer?.serialize !== 'function' || typeof serializer.deserialize !== 'function') {
    throw new TypeError(
      'createRedisStore: options.serializer must have serialize and deserialize methods, ' +
        `received ${typeof serializer}`,
    )
  }
  const timeoutMs = checkTimeout('createRedisStore', 'timeoutMs', options.timeoutMs ?? 250)

  const counts = {
    reads: 0,
    readFailures: 0,
    writes: 0,
    writeFailures: 0,
    invalidations: 0,
    invalidationFailures: 0,
    unreadable: 0,
  }
  let lastError: string | undefined

  async function counted<T>(
    operation: 'read' | 'write' | 'invalidate',
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    const [made, failed] = COUNTERS[operation]
    counts[made]++
    try {
      return await call(redis, operation, timeoutMs, signal, run)
    } catch (error) {
      counts[failed]++
      lastError = error instanceof Error ? error.message : String(error)
      throw error
    }
  }

  const store: RedisStore = {
    async read(namespace, keys, signal) {
      const reply = await counted('read', signal, () =>
        READ.run(
          redis,
          [versionsKey(namespace), ...keys.map((key) => entryKey(namespace, key))],
          [randomUUID(), ...keys],
        ),
      )

      return parseRead(reply, keys.length, (text) => {
        try {
          return { value: serializer.deserialize(text) }
        } catch {
          counts.unreadable++
          return undefined
        }
      })
    },

    async write(namespace, stamp, writes, signal) {
      const entries = serializable(writes, serializer)
      if (entries.length === 0) return

      const [epoch, sequence, time] = stamp === undefined ? ['', '', ''] : stamp.split(' ')
      const args: string[] = [randomUUID(), epoch ?? '', sequence ?? '', time ?? '']
      for (const { key, text, entry } of entries) {
        args.push(key, text, JSON.stringify(entry.tags))
        args.push(String(entry.loadedAt), String(entry.freshUntil), String(entry.graceUntil))
      }

      const keys = [versionsKey(namespace), ...entries.map(({ key }) => entryKey(namespace, key))]
      await counted('write', signal, () => WRITE.run(redis, keys, args))
    },

    async invalidate(message: InvalidationMessage, signal?: AbortSignal) {
      const mode = message.all === true ? 'all' : message.mode
      const keys = [
        versionsKey(message.namespace),
        ...message.keys.map((key) => entryKey(message.namespace, key)),
      ]
      const args = [randomUUID(), mode, message.tags.length, ...message.tags, ...message.keys]

      await counted('invalidate', signal, () => INVALIDATE.run(redis, keys, args))
    },

    snapshot() {
      return { connection: redis.status, ...counts, lastError }
    },

    healthCheck(healthOptions) {
      const ping = redisHealthCheck(redis, healthOptions)
      return checkShape(healthOptions, 'cache-store', 'datastore', (signal) => ping.run(signal))
    },
  }

  return store
}

const COUNTERS = {
  read: ['reads', 'readFailures'],
  write: ['writes', 'writeFailures'],
  invalidate: ['invalidations', 'invalidationFailures'],
} as const

function versionsKey(namespace: string): string {
  return `${namespace}:v`
}

function entryKey(namespace: string, key: string): string {
  return `${namespace}:e:${key}`
}

/** The writes whose values the serializer can represent; the others are left out. */
function serializable(writes: readonly StoreWrite[], serializer: Serializer) {
  const entries: Array<{ key: string; text: string; entry: StoreWrite['entry'] }> = []

  for (const { key, entry } of writes) {
    let text: string
    try {
      text = serializer.serialize(entry.value)
    } catch {
      continue
    }
    if (typeof text === 'string') entries.push({ key, text, entry })
  }

  return entries
}

type Found = readonly [string, number, string, string, string, string] | null

/** Turns the read script's answer into a {@link StoreRead}. */
function parseRead(
  reply: unknown,
  count: number,
  deserialize: (text: string) => { value: unknown } | undefined,
): StoreRead {
  if (!Array.isArray(reply) || reply.length !== count + 3) {
    throw new RedisUnavailableError('read', 'the read script answered in an unexpected shape')
  }

  const [epoch, sequence, time, ...found] = reply as [string, string, string, ...Found[]]
  const entries = found.map((item): StoredEntry | undefined => {
    if (item === null) return undefined

    const [text, standing, tags, loadedAt, freshUntil, graceUntil] = item
    const read = deserialize(text)
    if (read === undefined) return undefined

    return {
      value: read.value,
      tags: JSON.parse(tags) as string[],
      loadedAt: Number(loadedAt),
      freshUntil: Number(freshUntil),
      graceUntil: Number(graceUntil),
      standing: standing === 0 ? 'current' : 'soft',
    }
  })

  return { stamp: `${epoch} ${sequence} ${time}`, entries }
}

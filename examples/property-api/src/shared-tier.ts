import type { InvalidationBus, SharedStore } from '@ballast/cache'
import { createRedisBus, createRedisStore } from '@ballast/cache-redis'
import type { HealthCheck } from '@ballast/health'
import { createNotifyBus } from '@ballast/pg'
import { Redis } from 'ioredis'
import type { Database } from './database'

/** What the instances of the server share besides the database. */
export interface SharedTier {
  /** `redis`: store and bus in Redis; `postgres`: a NOTIFY bus; `none`: one instance. */
  readonly kind: 'redis' | 'postgres' | 'none'
  readonly store: SharedStore | undefined
  readonly bus: InvalidationBus | undefined
  /** Health checks of the connections, not critical: the memory tier serves without them. */
  readonly checks: readonly HealthCheck[]
  /** Closes the bus and the connections it opened. */
  close(): Promise<void>
}

/** How {@link openSharedTier} connects. */
export interface SharedTierOptions {
  readonly redisUrl: string | undefined
  /** The cache's namespace: deployments sharing a Redis keep apart by it. */
  readonly namespace: string
  readonly database: Database
  /** How long startup waits for the bus to listen before serving without it. @default 5000 */
  readonly readyTimeoutMs?: number
  /** Told when the bus is not listening yet at startup. */
  readonly onNotReady?: (error: unknown) => void
}

/**
 * Chooses what connects this instance to the others: with `REDIS_URL`, a Redis second tier
 * and a Redis bus; with only a PostgreSQL server, a `LISTEN/NOTIFY` bus (no second tier); with
 * embedded PGlite, nothing, since only one process can open its folder.
 *
 * Startup does not wait for Redis or the bus for long: the memory tier serves under the
 * usual rules while they are away, invalidations wait in the cache's outbox, and the bus
 * resets the memory tier once it listens, so nothing it missed is served as fresh.
 */
export async function openSharedTier(options: SharedTierOptions): Promise<SharedTier> {
  if (options.redisUrl !== undefined) return openRedis(options.redisUrl, options)
  if (options.database.kind !== 'postgres') {
    return { kind: 'none', store: undefined, bus: undefined, checks: [], close: async () => {} }
  }

  const bus = createNotifyBus(options.database.db)
  await waitUntilReady(bus, options)

  return {
    kind: 'postgres',
    store: undefined,
    bus,
    checks: [bus.healthCheck({ name: 'cache-bus' })],
    close: () => bus.close(),
  }
}

async function openRedis(url: string, options: SharedTierOptions): Promise<SharedTier> {
  // One retry per command: a read that cannot reach Redis soon is a miss, not a long wait.
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {}) // reported by the health checks and the bus's state
  const store = createRedisStore({ redis })
  // The channel carries the namespace, so instances of another deployment on the same Redis
  // neither receive these invalidations nor count among the receivers that must confirm.
  const bus = createRedisBus({ redis, channel: `ballast:${options.namespace}` })
  await waitUntilReady(bus, options)

  return {
    kind: 'redis',
    store,
    bus,
    checks: [store.healthCheck({ name: 'redis' }), bus.healthCheck({ name: 'cache-bus' })],
    close: async () => {
      await bus.close()
      redis.disconnect()
    },
  }
}

async function waitUntilReady(
  bus: { ready(signal?: AbortSignal): Promise<void> },
  options: SharedTierOptions,
): Promise<void> {
  try {
    await bus.ready(AbortSignal.timeout(options.readyTimeoutMs ?? 5_000))
  } catch (error) {
    options.onNotReady?.(error)
  }
}

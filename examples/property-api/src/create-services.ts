import { createBreakerRegistry } from '@ballast/breaker'
import {
  type CacheLogger,
  createCache,
  type InvalidationBus,
  type SharedStore,
} from '@ballast/cache'
import { createFunctionClient, type Queryable } from '@ballast/pg'
import { createRecorder } from '@ballast/timing'
import { functionTag } from './cache-plan'
import { createDatabaseCalls } from './database-calls'
import { isDatabaseOutage } from './outage'
import type { BudgetClass, Services } from './services'

/** Settings of {@link createServices}; the defaults are the server's. */
export interface ServicesOptions {
  /** The database every function call goes to. */
  readonly db: Queryable
  /** Receives the cache's stale-fallback warnings. */
  readonly logger?: CacheLogger
  /** Bytes the in-memory cache may hold. @default 64 MiB */
  readonly cacheBytes?: number
  /** How long a cached read stays fresh. @default 300000 */
  readonly cacheTtlMs?: number
  /** How long after that it may still answer when the database fails. @default 3600000 */
  readonly cacheGraceMs?: number
  /** The deadline of one database call. @default 3000 */
  readonly callTimeoutMs?: number
  /**
   * How often the function client re-reads the active versions (NOTIFY also triggers a
   * read on a real server). @default 1000
   */
  readonly refreshIntervalMs?: number
  /**
   * Time for cache freshness and circuit decisions, in epoch milliseconds; tests move one
   * by hand. Latencies are always measured with the performance clock.
   * @default Date.now
   */
  readonly clock?: { now(): number }
  /** Where cached entries are filed in a shared tier. @default 'property-api:v1' */
  readonly cacheNamespace?: string
  /** A tier shared by every instance (Redis), behind the in-memory one. @default none */
  readonly store?: SharedStore
  /** Carries invalidations to every other instance. @default none: one instance */
  readonly bus?: InvalidationBus
}

/** Latency budgets by class, in milliseconds; every request also stops at 5 s. */
export const BUDGETS: Readonly<Record<BudgetClass, number>> = {
  critical: 100,
  read: 200,
  write: 500,
  delete: 300,
}

/**
 * Builds the services the routes share. Cached values change shape only with a new function
 * version, so the cache's namespace names this build's data shape, and activating another
 * version of a function invalidates what the old one produced.
 */
export async function createServices(options: ServicesOptions): Promise<Services> {
  const functions = createFunctionClient(options.db, {
    refreshIntervalMs: options.refreshIntervalMs ?? 1_000,
  })
  const clock = options.clock === undefined ? {} : { clock: options.clock }
  const breakers = createBreakerRegistry({
    defaults: { isFailure: isDatabaseOutage, ...clock },
  })
  const recorder = createRecorder<BudgetClass>({ budgets: BUDGETS, hardLimitMs: 5_000 })
  const cache = createCache({
    maxBytes: options.cacheBytes ?? 64 * 1024 * 1024,
    ttlMs: options.cacheTtlMs ?? 300_000,
    graceMs: options.cacheGraceMs ?? 3_600_000,
    ttlJitter: 0.1,
    namespace: options.cacheNamespace ?? 'property-api:v1',
    // A bus resets the cache when it reconnects after an outage, usually while circuits are
    // still open: keep the entries as stale fallbacks so reads go on answering.
    resetKeepsStale: true,
    ...clock,
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.bus === undefined ? {} : { bus: options.bus }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })
  const calls = createDatabaseCalls({
    functions,
    breakers,
    timeoutMs: options.callTimeoutMs ?? 3_000,
  })

  functions.on('call', (event) => {
    recorder.record(budgetOf(event.name), event.physicalName, event.durationMs, {
      failed: !event.ok,
    })
  })

  let active: Readonly<Record<string, number>> = {}
  functions.on('refresh', (event) => {
    const changed = Object.keys(event.active).filter(
      (name) => active[name] !== undefined && active[name] !== event.active[name],
    )
    active = event.active
    if (changed.length === 0) return

    cache.invalidate({ tags: changed.map(functionTag) }).catch((error: unknown) => {
      options.logger?.warn({ err: error }, "could not invalidate a replaced function's entries")
    })
  })

  await functions.ready()

  return { calls, functions, cache, breakers, recorder }
}

/** The budget class of a database function, from the verb its name starts with. */
function budgetOf(name: string): BudgetClass {
  if (name === 'authenticate') return 'critical'
  if (name.startsWith('delete_')) return 'delete'
  if (/^(create|update|seed)_/.test(name)) return 'write'

  return 'read'
}

import type { InvalidationBus } from './bus'
import type { Clock } from './clock'
import type { CacheLogger } from './logger'
import type { SharedStore } from './store'

/** How a cache is built. Every field is optional; the defaults suit a small service. */
export interface CacheOptions {
  /**
   * The most memory the in-memory tier may hold, in bytes, as measured by `sizeOf`. When a
   * new entry would pass it, least recently used entries are evicted first.
   * @defaultValue `67108864` (64 MiB)
   */
  readonly maxBytes?: number
  /**
   * The largest single entry kept, in bytes. A larger value is returned to its callers but
   * not stored.
   * @defaultValue `maxBytes / 8`
   */
  readonly maxEntryBytes?: number
  /**
   * How long a loaded value stays fresh, in milliseconds. A fresh entry is served without
   * calling the loader.
   * @defaultValue `60000`
   */
  readonly ttlMs?: number
  /**
   * How long after its freshness ended an entry may still be served, flagged `stale`, when
   * loading it again fails or passes `loadTimeoutMs`. `0` disables the fallback.
   * @defaultValue `0`
   */
  readonly graceMs?: number
  /**
   * Spreads expiry so entries loaded together do not all expire together: each entry's
   * freshness is shortened by a random share of `ttlMs` up to this fraction (0 to 1).
   * @defaultValue `0`
   */
  readonly ttlJitter?: number
  /**
   * A deadline for each load, in milliseconds: the loader's signal aborts, and callers get
   * the stale entry or a `CacheLoadTimeoutError`. `undefined` waits as long as the loader.
   * @defaultValue `undefined`
   */
  readonly loadTimeoutMs?: number
  /**
   * Names this cache's data, as a version prefix: caches (and instances) with different
   * namespaces never see each other's entries or invalidations. Change it when the shape of
   * cached values changes, so a deploy never reads the old shape from a shared tier or bus.
   * @defaultValue `'default'`
   */
  readonly namespace?: string
  /**
   * Estimates the bytes a value occupies.
   * @defaultValue {@link estimateBytes}
   */
  readonly sizeOf?: (value: unknown, key: string) => number
  /**
   * The time source for freshness, grace and ages.
   * @defaultValue wall-clock milliseconds (`Date.now`)
   */
  readonly clock?: Clock
  /**
   * The random source for `ttlJitter`, returning a number in [0, 1).
   * @defaultValue `Math.random`
   */
  readonly random?: () => number
  /**
   * Receives a `warn` when a stale entry is served because loading failed.
   * @defaultValue none: the cache logs nothing
   */
  readonly logger?: CacheLogger
  /**
   * Carries invalidations to and from other cache instances, so that an invalidation made
   * through one reaches the memory tier of every other before `invalidate()` resolves.
   * @defaultValue none: invalidations stay in this instance
   */
  readonly bus?: InvalidationBus
  /**
   * A second tier shared by all instances (`@ballast/cache-redis`, or `createMemoryStore`),
   * read on a memory miss before the loader and written after each load. It records
   * invalidations itself, so it never answers with an entry an invalidation reached. Give
   * every instance a `bus` too: the store alone does not reach their memory tiers.
   * @defaultValue none: each instance loads its own entries
   */
  readonly store?: SharedStore
  /**
   * The most bytes the outbox may hold: invalidations that could not reach the store or the
   * bus yet, measured as two bytes per character of their tags and keys plus 64 each. When
   * one more would pass it, the outbox is replaced by a single invalidation of everything,
   * delivered when the connection returns (every instance then drops its memory tier and
   * the store forgets the namespace).
   * @defaultValue `1048576` (1 MiB)
   */
  readonly maxPendingBytes?: number
  /**
   * What a reset keeps. A bus resets the cache when it may have missed messages (it
   * reconnected, or a gap in its sequence showed). By default the memory tier is dropped,
   * which honours every hard invalidation that may have been missed. With `true` its
   * entries are kept as soft-invalidated: never fresh again, but usable as a flagged
   * `stale` fallback when a load fails. A reset usually follows an outage, often while the
   * source is still failing or its circuits are still open; keeping the entries keeps reads
   * answering then, at the price that an entry a missed hard invalidation reached may still
   * be served, flagged `stale`, during a failure (never as fresh).
   * @defaultValue `false`
   */
  readonly resetKeepsStale?: boolean
}

/** Per-call settings of `get`, `getWithInfo` and `getMany`. */
export interface GetOptions {
  /**
   * Tags of the entry, by which it can be invalidated. Entries under a `user:{id}:…` key
   * are tagged `user:{id}` as well. When a call joins a load already under way, the tags of
   * the call that started it apply.
   * @defaultValue `[]`
   */
  readonly tags?: readonly string[]
  /** Freshness of this entry, in milliseconds. @defaultValue the cache's `ttlMs` */
  readonly ttlMs?: number
  /** Grace of this entry, in milliseconds. @defaultValue the cache's `graceMs` */
  readonly graceMs?: number
  /** Load deadline, in milliseconds. @defaultValue the cache's `loadTimeoutMs` */
  readonly loadTimeoutMs?: number
  /**
   * Abandons this caller's wait: the call rejects with the signal's reason. A load other
   * callers wait for goes on; the loader's own signal aborts only at its deadline.
   * @defaultValue none
   */
  readonly signal?: AbortSignal
  /**
   * Whether to keep a loaded value. A value it rejects is returned to every caller waiting
   * for that load but stored nowhere, and the entry it would have replaced is dropped, so
   * the next read loads again and no fallback serves what the source no longer has: use it
   * for "not found" answers (`(row) => row !== null`) that must not linger once the row
   * exists. A call that joins a load under way uses the rule of the call that started it.
   * @defaultValue every value is kept
   */
  readonly shouldStore?: (value: unknown) => boolean
}

/** Options with their defaults applied and checked. */
export interface ResolvedCacheOptions {
  readonly maxBytes: number
  readonly maxEntryBytes: number
  readonly ttlMs: number
  readonly graceMs: number
  readonly ttlJitter: number
  readonly loadTimeoutMs: number | undefined
  readonly namespace: string
  readonly maxPendingBytes: number
  readonly resetKeepsStale: boolean
}

/** Applies defaults and rejects values that cannot work, naming the option and the value. */
export function resolveCacheOptions(options: CacheOptions): ResolvedCacheOptions {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024
  checkPositiveInteger('maxBytes', maxBytes)

  const maxEntryBytes = options.maxEntryBytes ?? Math.max(1, Math.floor(maxBytes / 8))
  checkPositiveInteger('maxEntryBytes', maxEntryBytes)
  if (maxEntryBytes > maxBytes) {
    throw new RangeError(
      `createCache: options.maxEntryBytes must be at most maxBytes (${maxBytes}), ` +
        `received ${maxEntryBytes}`,
    )
  }

  const ttlMs = options.ttlMs ?? 60_000
  checkDuration('ttlMs', ttlMs)

  const graceMs = options.graceMs ?? 0
  checkDuration('graceMs', graceMs)

  const ttlJitter = options.ttlJitter ?? 0
  if (typeof ttlJitter !== 'number' || !(ttlJitter >= 0 && ttlJitter <= 1)) {
    throw new RangeError(
      `createCache: options.ttlJitter must be a number from 0 to 1, received ${ttlJitter}`,
    )
  }

  if (options.loadTimeoutMs !== undefined) checkDuration('loadTimeoutMs', options.loadTimeoutMs)

  const namespace = options.namespace ?? 'default'
  if (typeof namespace !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(namespace)) {
    throw new TypeError(
      `createCache: options.namespace must be 1-64 characters of [A-Za-z0-9_.:-], ` +
        `received ${String(namespace)}`,
    )
  }

  const maxPendingBytes = options.maxPendingBytes ?? 1024 * 1024
  checkPositiveInteger('maxPendingBytes', maxPendingBytes)
  checkInterface('bus', options.bus, ['publish', 'subscribe'])
  checkInterface('store', options.store, ['read', 'write', 'invalidate'])

  return {
    maxBytes,
    maxEntryBytes,
    ttlMs,
    graceMs,
    ttlJitter,
    loadTimeoutMs: options.loadTimeoutMs,
    namespace,
    maxPendingBytes,
    resetKeepsStale: resetKeepsStale(options.resetKeepsStale),
  }
}

/** Rejects a pluggable part that lacks a method the cache calls. */
function checkInterface(name: string, value: unknown, methods: readonly string[]): void {
  if (value === undefined) return

  const missing = methods.filter(
    (method) => typeof (value as Record<string, unknown> | null)?.[method] !== 'function',
  )
  if (missing.length === 0) return

  throw new TypeError(
    `createCache: options.${name} must have the methods ${methods.join(', ')}, ` +
      `received ${value === null ? 'null' : typeof value} without ${missing.join(', ')}`,
  )
}

/** Rejects a per-call duration that cannot work, naming the call and the option. */
export function checkDuration(name: string, value: unknown, caller = 'createCache'): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `${caller}: options.${name} must be a finite number of milliseconds >= 0, ` +
        `received ${String(value)}`,
    )
  }
}

function checkPositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(
      `createCache: options.${name} must be a positive integer, received ${String(value)}`,
    )
  }
}

/** A per-call duration, checked, or the cache-wide default when none was given. */
export function perCallDuration<V extends number | undefined>(
  value: number | undefined,
  fallback: V,
  name: string,
  caller = 'get',
): number | V {
  if (value === undefined) return fallback

  checkDuration(name, value, caller)

  return value
}

function resetKeepsStale(value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value === 'boolean') return value

  throw new TypeError(
    `createCache: options.resetKeepsStale must be a boolean, received ${typeof value}`,
  )
}

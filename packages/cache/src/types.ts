import type { Provenance } from './events'
import type { GetOptions } from './options'

/**
 * Loads the value of one key from the source of truth. Honour `signal`: it aborts at the
 * load deadline.
 */
export type Loader<T> = (signal: AbortSignal) => Promise<T> | T

/**
 * Loads several keys in one call. Return a Map from key to value; a key left out has no
 * value at the source and is left out of the result of `getMany`.
 */
export type BatchLoader<T> = (
  keys: readonly string[],
  signal: AbortSignal,
) => Promise<ReadonlyMap<string, T>> | ReadonlyMap<string, T>

/** A value with where it came from, as returned by {@link Cache.getWithInfo}. */
export interface CacheResult<T> {
  /** The value. */
  readonly value: T
  /** `hit`, `miss`, `coalesced` (joined another caller's load) or `stale` (fallback). */
  readonly provenance: Provenance
  /** Milliseconds since the value was loaded: 0 for a new load. */
  readonly ageMs: number
}

/** Settings of {@link Cache.set}. */
export interface SetOptions {
  /** Tags of the entry. @defaultValue `[]` */
  readonly tags?: readonly string[]
  /** Freshness in milliseconds. @defaultValue the cache's `ttlMs` */
  readonly ttlMs?: number
  /** Grace in milliseconds. @defaultValue the cache's `graceMs` */
  readonly graceMs?: number
}

/** Counters since the cache was created, plus its current size. */
export interface CacheStats {
  /** Reads answered by a fresh entry. */
  readonly hits: number
  /** Reads that started a load, including those the shared store answered (`storeHits`). */
  readonly misses: number
  /** Reads that joined a load already under way. */
  readonly coalesced: number
  /** Loads that failed and were answered by a stale entry instead. */
  readonly staleServed: number
  /** Loads that failed or passed their deadline. */
  readonly loadErrors: number
  /** Loads whose result was not stored because an invalidation overlapped them. */
  readonly discarded: number
  /** Entries pushed out by the byte bound. */
  readonly evictions: number
  /** Calls to `invalidate`, and invalidations received from other instances. */
  readonly invalidations: number
  /** `hits / (hits + misses + coalesced)`, or 0 before the first read. */
  readonly hitRatio: number
  /** Entries held in memory, including expired ones not yet reclaimed. */
  readonly entries: number
  /** Bytes held in memory, as measured by `sizeOf`. */
  readonly bytes: number
  /** Tags with a recorded invalidation version. */
  readonly tagVersions: number
  /** Misses of the memory tier the shared store answered without calling the loader. */
  readonly storeHits: number
  /**
   * Times the memory tier was dropped because the bus could not rule out a missed message
   * (a subscription that was down, a skipped sequence number, an invalidation of everything).
   */
  readonly resets: number
  /** Invalidations waiting in the outbox for the store or the bus to be reachable again. */
  readonly pendingInvalidations: number
}

/** Per-call settings of `getMany`: those of `get`, with tags per key. */
export interface GetManyOptions extends Omit<GetOptions, 'tags'> {
  /** Tags for all loaded keys, or a function giving each key its own. @defaultValue `[]` */
  readonly tags?: readonly string[] | ((key: string) => readonly string[])
}

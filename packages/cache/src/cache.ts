import { randomUUID } from 'node:crypto'
import type { LRUCache } from 'lru-cache'
import { collect, inOrder } from './batch'
import { type Clock, systemClock } from './clock'
import { Entries, type Entry } from './entries'
import { type CacheEvents, type CacheListener, Emitter } from './events'
import { abandonable, type Flight, valueOfOutcome } from './flight'
import { type InvalidationTarget, resolveInvalidation } from './invalidation'
import { Invalidator } from './invalidator'
import { checkCacheKey, entryTags } from './keys'
import { Loads } from './loads'
import {
  type CacheOptions,
  type GetOptions,
  perCallDuration,
  type ResolvedCacheOptions,
  resolveCacheOptions,
} from './options'
import type { Propagation } from './propagation'
import { asCoalesced, valueOfResult } from './results'
import { sharedTiers } from './shared-tiers'
import { estimateBytes } from './size'
import { Standing, TagVersions } from './tag-versions'
import { asRead, type TieredLoad } from './tiered-load'
import type {
  BatchLoader,
  CacheResult,
  CacheStats,
  GetManyOptions,
  Loader,
  SetOptions,
} from './types'

/**
 * A cache-first executor: reads go to memory first and to the loader only when no fresh
 * entry exists; concurrent misses of a key share one load; failing loads fall back to
 * stale entries inside their grace window; invalidation by tag costs one map write.
 *
 * Create one with {@link createCache}.
 */
export class Cache {
  readonly #options: ResolvedCacheOptions
  /** The memory tier's LRU, read directly by the hot path. */
  readonly #memory: LRUCache<string, Entry>
  readonly #entries: Entries
  readonly #flights = new Map<string, Flight<unknown>>()
  readonly #versions = new TagVersions()
  readonly #events = new Emitter()
  readonly #clock: Clock
  readonly #loads: Loads
  readonly #invalidator: Invalidator
  readonly #origin = randomUUID()
  readonly #unsubscribe: (() => void) | undefined
  /** Present with a store or a bus: carries invalidations to them, with an outbox. */
  readonly #propagation: Propagation | undefined
  /** Present with a store: loads through it on a memory miss. */
  readonly #tier: TieredLoad | undefined

  #hits = 0
  #coalesced = 0

  constructor(options: CacheOptions = {}) {
    this.#options = resolveCacheOptions(options)
    this.#clock = options.clock ?? systemClock

    this.#entries = new Entries({
      maxBytes: this.#options.maxBytes,
      maxEntryBytes: this.#options.maxEntryBytes,
      ttlJitter: this.#options.ttlJitter,
      clock: this.#clock,
      random: options.random ?? Math.random,
      sizeOf: options.sizeOf ?? estimateBytes,
      versions: this.#versions,
      events: this.#events,
    })
    this.#memory = this.#entries.memory

    const tiers = sharedTiers({
      store: options.store,
      bus: options.bus,
      namespace: this.namespace,
      maxPendingBytes: this.#options.maxPendingBytes,
      clock: this.#clock,
      expiry: (lifetimes) => this.#entries.expiry(lifetimes),
      report: (error, during) => this.#events.emit('error', { error, during }),
    })
    this.#propagation = tiers.propagation
    this.#tier = tiers.tier

    const shared = { flights: this.#flights, versions: this.#versions, entries: this.#entries }
    this.#loads = new Loads({
      ...shared,
      options: this.#options,
      tier: this.#tier,
      events: this.#events,
      clock: this.#clock,
      logger: options.logger,
    })
    this.#invalidator = new Invalidator({
      ...shared,
      events: this.#events,
      namespace: this.namespace,
      origin: this.#origin,
      resetKeepsStale: this.#options.resetKeepsStale,
    })

    const connected = () => this.#propagation?.nudge()
    this.#unsubscribe = options.bus?.subscribe(this.#invalidator.subscriber(connected))
  }

  /** The namespace this cache's keys and invalidations live in. */
  get namespace(): string {
    return this.#options.namespace
  }

  /**
   * The value of `key`: from memory when a fresh entry exists, otherwise from `loader`,
   * whose result is stored under `options.tags`. Concurrent calls for one key share a single
   * loader call. When the loader fails and an expired entry is inside its grace window,
   * that entry is returned instead (see {@link Cache.getWithInfo} to tell).
   *
   * @example
   * ```ts
   * const list = await cache.get(userKey(42, 'properties:list'), (signal) =>
   *   db.listProperties(42, signal), { tags: [userEntityTag(42, 'property')] })
   * ```
   */
  get<T>(key: string, loader: Loader<T>, options?: GetOptions): Promise<T> {
    // The hot path: a fresh entry costs one LRU look-up, one clock read and, only when
    // something was invalidated since the entry was loaded, one map look-up per tag. It
    // allocates nothing after the entry's first hit: the entry keeps the settled promise.
    const entry = this.#memory.get(key)

    if (entry !== undefined && this.#isFresh(entry)) {
      this.#hits++
      if (this.#events.has('hit')) this.#events.emit('hit', { key })

      entry.resolved ??= Promise.resolve(entry.value)
      return entry.resolved as Promise<T>
    }

    // Joining a load under way without a signal of its own: every such caller shares one
    // promise of the value, so a storm of callers of one cold key allocates nothing each.
    if (options?.signal === undefined && typeof loader === 'function') {
      const flight = this.#joinableFlight(key) as Flight<T> | undefined
      if (flight !== undefined) {
        this.#coalesced++
        if (this.#events.has('coalesced')) this.#events.emit('coalesced', { key })

        flight.value ??= flight.outcome.then(valueOfOutcome)
        return flight.value
      }
    }

    return this.#read(key, loader, options, entry).then(valueOfResult)
  }

  /**
   * The value of `key` if a fresh entry holds it, else `undefined`, synchronously: it never
   * calls a loader and never serves a stale entry. For code that cannot wait (a template, a
   * synchronous hot loop) and falls back on {@link Cache.get} when it gets nothing. A value
   * found counts as a hit; nothing found counts as nothing, since nothing was loaded.
   *
   * @example
   * ```ts
   * const list = cache.getIfFresh<Property[]>(key) ?? (await cache.get(key, load))
   * ```
   */
  getIfFresh<T>(key: string): T | undefined {
    const entry = this.#memory.get(key)
    if (entry === undefined || !this.#isFresh(entry)) return undefined

    this.#hits++
    if (this.#events.has('hit')) this.#events.emit('hit', { key })

    return entry.value as T
  }

  /** Like {@link Cache.get}, with the value's provenance and age. */
  getWithInfo<T>(key: string, loader: Loader<T>, options?: GetOptions): Promise<CacheResult<T>> {
    const entry = this.#memory.get(key)

    if (entry !== undefined && this.#isFresh(entry)) {
      this.#hits++
      if (this.#events.has('hit')) this.#events.emit('hit', { key })

      const ageMs = this.#clock.now() - entry.loadedAt
      return Promise.resolve({ value: entry.value as T, provenance: 'hit', ageMs })
    }

    return this.#read(key, loader, options, entry)
  }

  /**
   * The values of several keys: fresh ones from memory, the rest from ONE call of
   * `loadMany` with just the missing keys. Keys already being loaded by another call are
   * joined rather than loaded again. The result maps each key to its value, in the order
   * given; keys the loader did not return are left out. `options.tags`, when a function,
   * gives each key its own tags.
   */
  async getMany<T>(
    keys: readonly string[],
    loadMany: BatchLoader<T>,
    options?: GetManyOptions,
  ): Promise<Map<string, T>> {
    const found = new Map<string, T>()
    const waits: Array<Promise<void>> = []
    const missing: string[] = []

    for (const key of new Set(keys)) {
      const entry = this.#memory.get(key)

      if (entry !== undefined && this.#isFresh(entry)) {
        this.#hits++
        if (this.#events.has('hit')) this.#events.emit('hit', { key })
        found.set(key, entry.value as T)
        continue
      }

      checkCacheKey(key, 'getMany')
      if (entry !== undefined) this.#entries.dropIfUnusable(key, entry)

      const flight = this.#joinableFlight(key)
      if (flight === undefined) {
        missing.push(key)
        continue
      }

      this.#coalesced++
      if (this.#events.has('coalesced')) this.#events.emit('coalesced', { key })
      waits.push(collect(flight as Flight<T>, found))
    }

    if (missing.length > 0) {
      for (const flight of this.#loads.batch(missing, loadMany, options)) {
        waits.push(collect(flight as Flight<T>, found))
      }
    }

    await abandonable(Promise.all(waits), options?.signal)

    return inOrder(keys, found)
  }

  /**
   * Stores `value` under `key` directly, for example the row a write just returned. A load
   * of `key` already under way will not overwrite it. With a shared store, the value is
   * written there too (in the background; a failure is an `error` event); the memory tiers
   * of other instances are not touched, so follow a write with `invalidate({ key })` when
   * they may hold the key.
   */
  set(key: string, value: unknown, options?: SetOptions): void {
    checkCacheKey(key, 'set')

    const flight = this.#flights.get(key)
    if (flight !== undefined) flight.fenced = true

    const ttlMs = perCallDuration(options?.ttlMs, this.#options.ttlMs, 'ttlMs', 'set')
    const graceMs = perCallDuration(options?.graceMs, this.#options.graceMs, 'graceMs', 'set')
    const tags = entryTags(key, options?.tags)
    const expiry = this.#entries.expiry({ ttlMs, graceMs })

    this.#entries.store(key, value, tags, this.#versions.sequence, expiry)
    this.#tier?.write(key, value, tags, expiry)
  }

  /**
   * Invalidates what `target` names (see {@link InvalidationTarget}). Once the returned
   * promise resolves, no read that starts later returns anything loaded before, except a
   * `stale` fallback after a soft invalidation. Loads under way keep answering their own
   * callers but their results are not stored.
   *
   * This instance is invalidated at once, before anything is awaited. With a shared store
   * the invalidation is then recorded there, and with a bus it is then published; the
   * promise resolves once every instance the bus delivered it to has confirmed applying it,
   * so the guarantee above holds on all of them. It rejects with a
   * `CacheInvalidationPendingError` when the store or the bus could not be reached (the
   * invalidation waits in the outbox and is delivered when the connection returns), and
   * with a `CacheInvalidationUnconfirmedError` when some receiver did not confirm in time.
   *
   * Cost: one map write per tag and one delete per key, whatever the number of entries, plus
   * one store call and one publish.
   */
  async invalidate(target: InvalidationTarget): Promise<void> {
    const { tags, keys, mode } = resolveInvalidation(target)

    this.#invalidator.apply(tags, keys, mode, false)

    if (this.#propagation !== undefined) {
      const message = { namespace: this.namespace, origin: this.#origin, tags, keys, mode }
      await this.#propagation.send(message)
    }
  }

  /**
   * Resolves once every invalidation waiting in the outbox (see {@link Cache.invalidate})
   * was delivered; at once when none waits. Call it before {@link Cache.close} to hand
   * pending invalidations over during a graceful shutdown.
   */
  whenPropagated(signal?: AbortSignal): Promise<void> {
    return this.#propagation?.whenPropagated(signal) ?? Promise.resolve()
  }

  /** Counters and sizes at this moment. */
  stats(): CacheStats {
    const reads = this.#hits + this.#loads.misses + this.#coalesced

    return {
      hits: this.#hits,
      misses: this.#loads.misses,
      coalesced: this.#coalesced,
      staleServed: this.#loads.staleServed,
      loadErrors: this.#loads.loadErrors,
      discarded: this.#loads.discarded,
      evictions: this.#entries.evictions,
      invalidations: this.#invalidator.invalidations,
      hitRatio: reads === 0 ? 0 : this.#hits / reads,
      entries: this.#memory.size,
      bytes: this.#memory.calculatedSize,
      tagVersions: this.#versions.size,
      storeHits: this.#loads.storeHits,
      resets: this.#invalidator.resets,
      pendingInvalidations: this.#propagation?.pending ?? 0,
    }
  }

  /** Listens to one kind of event; the returned function stops listening. */
  on<Name extends keyof CacheEvents>(name: Name, listener: CacheListener<Name>): () => void {
    return this.#events.on(name, listener)
  }

  /**
   * Stops listening to the bus and stops delivering the outbox; invalidations still in it
   * are reported as an `error` event (see {@link Cache.whenPropagated}). Entries stay
   * readable; loads under way finish. The store and the bus are not closed: they may serve
   * other caches.
   */
  close(): void {
    this.#unsubscribe?.()
    this.#propagation?.close()
  }

  #isFresh(entry: Entry): boolean {
    return (
      this.#clock.now() < entry.freshUntil &&
      this.#versions.standing(entry.tags, entry.sequence) === Standing.Current
    )
  }

  async #read<T>(
    key: string,
    loader: Loader<T>,
    options: GetOptions | undefined,
    entry: Entry | undefined,
  ): Promise<CacheResult<T>> {
    checkCacheKey(key, 'get')
    if (typeof loader !== 'function') {
      throw new TypeError(`get: loader must be a function, received ${typeof loader}`)
    }

    if (entry !== undefined) this.#entries.dropIfUnusable(key, entry)

    const joined = this.#joinableFlight(key) as Flight<T> | undefined
    if (joined !== undefined) {
      this.#coalesced++
      if (this.#events.has('coalesced')) this.#events.emit('coalesced', { key })

      return abandonable(joined.outcome, options?.signal).then(asCoalesced)
    }

    const flight = this.#loads.one(key, loader, options)

    return abandonable(flight.outcome, options?.signal).then(asRead)
  }

  /** A load under way of `key` that a new reader may join, if nothing it depends on changed. */
  #joinableFlight(key: string): Flight<unknown> | undefined {
    const flight = this.#flights.get(key)
    if (flight === undefined || flight.fenced) return undefined

    const standing = this.#versions.standing(flight.tags, flight.sequence)

    return standing === Standing.Current ? flight : undefined
  }
}

/**
 * Creates a {@link Cache}.
 *
 * @example
 * ```ts
 * const cache = createCache({ maxBytes: 100 * 1024 * 1024, ttlMs: 300_000, graceMs: 3_600_000 })
 * const key = userKey(42, 'properties:list', { page: 1 })
 * const list = await cache.get(key, (signal) => db.listProperties(42, 1, signal), {
 *   tags: [userEntityTag(42, 'property')],
 * })
 * await cache.invalidate({ user: 42, entity: 'property' })
 * ```
 */
export function createCache(options?: CacheOptions): Cache {
  return new Cache(options)
}

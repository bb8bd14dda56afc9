import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { collect, inOrder, pick } from './batch'
import type { BusSubscriber, InvalidationBus, InvalidationMessage } from './bus'
import { type Clock, systemClock } from './clock'
import { isCacheMissingValueError } from './errors'
import { type CacheEvents, type CacheListener, Emitter } from './events'
import {
  abandonable,
  callLoader,
  Flight,
  noop,
  type Outcome,
  underDeadline,
  valueOfOutcome,
} from './flight'
import { type InvalidationTarget, resolveInvalidation } from './invalidation'
import { checkCacheKey, entryTags } from './keys'
import type { CacheLogger } from './logger'
import {
  type CacheOptions,
  type GetOptions,
  perCallDuration,
  type ResolvedCacheOptions,
  resolveCacheOptions,
} from './options'
import { Propagation } from './propagation'
import { asCoalesced, valueOfResult } from './results'
import { estimateBytes } from './size'
import { Standing, TagVersions } from './tag-versions'
import {
  asRead,
  type Expiry,
  FailedLoad,
  FromStore,
  type Lifetimes,
  TieredLoad,
  type TieredOutcome,
} from './tiered-load'
import type {
  BatchLoader,
  CacheResult,
  CacheStats,
  GetManyOptions,
  Loader,
  SetOptions,
} from './types'

interface Entry {
  readonly value: unknown
  readonly tags: readonly string[]
  /** The invalidation sequence number when the load that produced it started. */
  readonly sequence: number
  readonly loadedAt: number
  /** Mutable so a soft invalidation of the key can end freshness in place. */
  freshUntil: number
  readonly graceUntil: number
  /**
   * The promise every hit on this entry returns, made by the first hit. Sharing one settled
   * promise is safe (awaiting it runs each caller's continuation in the caller's own async
   * context) and spares a hit its only allocation.
   */
  resolved: Promise<unknown> | undefined
}

interface Launched {
  readonly loaded: Promise<unknown>
  readonly done: Promise<void>
}

/** Below this many recorded tag versions, old versions are never pruned. */
const PRUNE_FLOOR = 10_000

/** Bytes charged per entry for its bookkeeping, on top of `sizeOf` of its value. */
const ENTRY_OVERHEAD_BYTES = 160

/**
 * A cache-first executor: reads go to memory first and to the loader only when no fresh
 * entry exists; concurrent misses of a key share one load; failing loads fall back to
 * stale entries inside their grace window; invalidation by tag costs one map write.
 *
 * Create one with {@link createCache}.
 */
export class Cache {
  readonly #options: ResolvedCacheOptions
  readonly #memory: LRUCache<string, Entry>
  readonly #flights = new Map<string, Flight<unknown>>()
  readonly #versions = new TagVersions()
  readonly #events = new Emitter()
  readonly #clock: Clock
  readonly #random: () => number
  readonly #sizeOf: (value: unknown, key: string) => number
  readonly #logger: CacheLogger | undefined
  readonly #bus: InvalidationBus | undefined
  readonly #origin = randomUUID()
  readonly #unsubscribe: (() => void) | undefined
  /** Present with a store or a bus: carries invalidations to them, with an outbox. */
  readonly #propagation: Propagation | undefined
  /** Present with a store: loads through it on a memory miss. */
  readonly #tier: TieredLoad | undefined

  #hits = 0
  #misses = 0
  #coalesced = 0
  #staleServed = 0
  #loadErrors = 0
  #discarded = 0
  #evictions = 0
  #invalidations = 0
  #storeHits = 0
  #resets = 0
  #pruneAt = PRUNE_FLOOR

  constructor(options: CacheOptions = {}) {
    this.#options = resolveCacheOptions(options)
    this.#clock = options.clock ?? systemClock
    this.#random = options.random ?? Math.random
    this.#sizeOf = options.sizeOf ?? estimateBytes
    this.#logger = options.logger
    this.#bus = options.bus

    this.#memory = new LRUCache<string, Entry>({
      maxSize: this.#options.maxBytes,
      maxEntrySize: this.#options.maxEntryBytes,
      dispose: (_entry, key, reason) => {
        if (reason !== 'evict') return

        this.#evictions++
        if (this.#events.has('evict')) this.#events.emit('evict', { key })
      },
    })

    const report = (error: unknown, during: string) => this.#events.emit('error', { error, during })
    const store = options.store
    this.#propagation =
      store === undefined && this.#bus === undefined
        ? undefined
        : new Propagation({
            store,
            bus: this.#bus,
            maxPendingBytes: this.#options.maxPendingBytes,
            report,
          })
    this.#tier =
      store === undefined || this.#propagation === undefined
        ? undefined
        : new TieredLoad({
            store,
            namespace: this.namespace,
            clock: this.#clock,
            propagation: this.#propagation,
            expiry: (lifetimes) => this.#expiry(lifetimes),
            report,
          })

    this.#unsubscribe = this.#bus?.subscribe(this.#subscriber())
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
      if (entry !== undefined) this.#dropIfUnusable(key, entry)

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
      for (const flight of this.#loadBatch(missing, loadMany, options)) {
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
    const expiry = this.#expiry({ ttlMs, graceMs })

    this.#store(key, value, tags, this.#versions.sequence, expiry)
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

    this.#apply(tags, keys, mode === 'soft')
    if (this.#events.has('invalidate')) {
      this.#events.emit('invalidate', { tags, keys, mode, remote: false })
    }

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
    const reads = this.#hits + this.#misses + this.#coalesced

    return {
      hits: this.#hits,
      misses: this.#misses,
      coalesced: this.#coalesced,
      staleServed: this.#staleServed,
      loadErrors: this.#loadErrors,
      discarded: this.#discarded,
      evictions: this.#evictions,
      invalidations: this.#invalidations,
      hitRatio: reads === 0 ? 0 : this.#hits / reads,
      entries: this.#memory.size,
      bytes: this.#memory.calculatedSize,
      tagVersions: this.#versions.size,
      storeHits: this.#storeHits,
      resets: this.#resets,
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

    if (entry !== undefined) this.#dropIfUnusable(key, entry)

    const joined = this.#joinableFlight(key) as Flight<T> | undefined
    if (joined !== undefined) {
      this.#coalesced++
      if (this.#events.has('coalesced')) this.#events.emit('coalesced', { key })

      return abandonable(joined.outcome, options?.signal).then(asCoalesced)
    }

    const previous = this.#flights.get(key)
    const timeoutMs = perCallDuration(
      options?.loadTimeoutMs,
      this.#options.loadTimeoutMs,
      'loadTimeoutMs',
    )
    const tags = entryTags(key, options?.tags)
    const lifetimes = this.#lifetimes(options)
    const run = this.#tier === undefined ? loader : this.#tier.one(key, tags, lifetimes, loader)
    const launched = this.#launch(run, previous?.loaderDone, timeoutMs, key)
    const flight = this.#track<T>(key, tags, launched, launched.loaded, lifetimes)

    return abandonable(flight.outcome, options?.signal).then(asRead)
  }

  #loadBatch<T>(
    keys: string[],
    loadMany: BatchLoader<T>,
    options: GetManyOptions | undefined,
  ): Array<Flight<T>> {
    if (typeof loadMany !== 'function') {
      throw new TypeError(`getMany: loadMany must be a function, received ${typeof loadMany}`)
    }

    const previous = keys.flatMap((key) => this.#flights.get(key)?.loaderDone ?? [])
    const timeoutMs = perCallDuration(
      options?.loadTimeoutMs,
      this.#options.loadTimeoutMs,
      'loadTimeoutMs',
    )
    const tagsByKey = new Map<string, readonly string[]>()
    for (const key of keys) {
      const given = typeof options?.tags === 'function' ? options.tags(key) : options?.tags
      tagsByKey.set(key, entryTags(key, given))
    }
    const tagsOf = (key: string) => tagsByKey.get(key) as readonly string[]
    const lifetimes = this.#lifetimes(options)
    const run =
      this.#tier === undefined
        ? (signal: AbortSignal) => loadMany(keys, signal)
        : this.#tier.many(keys, tagsOf, lifetimes, loadMany as BatchLoader<unknown>)
    const waitFor = previous.length === 0 ? undefined : Promise.all(previous)
    const launched = this.#launch(run, waitFor, timeoutMs, keys[0] as string)

    return keys.map((key) => {
      const loaded = launched.loaded.then((values) => pick(values, key))

      return this.#track<T>(key, tagsOf(key), launched, loaded, lifetimes)
    })
  }

  /**
   * Calls the loader once `previous` (an earlier load of the same key) is done, under the
   * load deadline. The deadline runs from now, waiting included, so a hung earlier load
   * turns into a timeout and a stale fallback rather than an endless wait.
   */
  #launch(
    run: (signal: AbortSignal) => unknown,
    previous: Promise<unknown> | undefined,
    timeoutMs: number | undefined,
    key: string,
  ): Launched {
    const controller = new AbortController()
    const started =
      previous === undefined
        ? callLoader(run, controller.signal)
        : previous.then(() => callLoader(run, controller.signal))
    const loaded =
      timeoutMs === undefined ? started : underDeadline(started, controller, key, timeoutMs)
    const done = loaded.then(noop, noop)

    return { loaded, done }
  }

  #track<T>(
    key: string,
    tags: readonly string[],
    launched: Launched,
    loaded: Promise<unknown>,
    lifetimes: Lifetimes,
  ): Flight<T> {
    const flight = new Flight<T>(key, tags, this.#versions.sequence, launched.done)

    flight.outcome = loaded.then(
      (value) => this.#loaded(flight, value, lifetimes),
      (error: unknown) => this.#failed(flight, error),
    )

    this.#flights.set(key, flight as Flight<unknown>)
    this.#misses++
    if (this.#events.has('miss')) this.#events.emit('miss', { key })

    return flight
  }

  #lifetimes(options: GetOptions | GetManyOptions | undefined): Lifetimes {
    const shouldStore = options?.shouldStore
    if (shouldStore !== undefined && typeof shouldStore !== 'function') {
      throw new TypeError(
        `options.shouldStore must be a function of the value, received ${typeof shouldStore}`,
      )
    }

    return {
      ttlMs: perCallDuration(options?.ttlMs, this.#options.ttlMs, 'ttlMs'),
      graceMs: perCallDuration(options?.graceMs, this.#options.graceMs, 'graceMs'),
      shouldStore: shouldStore as ((value: unknown) => boolean) | undefined,
    }
  }

  #loaded<T>(flight: Flight<T>, value: unknown, lifetimes: Lifetimes): TieredOutcome<T> {
    if (value instanceof FromStore) return this.#fromStore(flight, value)
    if (value instanceof FailedLoad) return this.#failed(flight, value.error)

    this.#land(flight)
    if (this.#overlapped(flight)) {
      this.#discarded++
      if (this.#events.has('discarded')) this.#events.emit('discarded', { key: flight.key })
    } else if (lifetimes.shouldStore?.(value) === false) {
      // Not kept, and nothing older may stand in for it later: the source just said so.
      this.#memory.delete(flight.key)
    } else {
      this.#store(flight.key, value, flight.tags, flight.sequence, this.#expiry(lifetimes))
    }

    return { value: value as T, stale: false, ageMs: 0 }
  }

  /** An answer of the shared store: a fresh entry it held, or a stale one the loader failed. */
  #fromStore<T>(flight: Flight<T>, found: FromStore): TieredOutcome<T> {
    const { entry } = found
    if (found.stale) return this.#failed(flight, found.error, entry)

    this.#land(flight)
    this.#storeHits++
    if (!this.#overlapped(flight)) {
      this.#store(flight.key, entry.value, flight.tags, flight.sequence, entry)
    }

    const ageMs = this.#clock.now() - entry.loadedAt

    return { value: entry.value as T, stale: false, ageMs, fromStore: true }
  }

  /** Whether an invalidation reached the load's key or tags while it ran. */
  #overlapped(flight: Flight<unknown>): boolean {
    return (
      flight.fenced || this.#versions.standing(flight.tags, flight.sequence) !== Standing.Current
    )
  }

  /**
   * A failed load: answered by the memory tier's entry inside its grace window, or else by
   * the shared store's (`fallback`), flagged stale; otherwise the error is rethrown.
   */
  #failed<T>(
    flight: Flight<T>,
    error: unknown,
    fallback?: Expiry & { value: unknown },
  ): Outcome<T> {
    this.#land(flight)
    if (isCacheMissingValueError(error)) throw error

    const key = flight.key
    this.#loadErrors++
    if (this.#events.has('loadError')) this.#events.emit('loadError', { key, error })

    const memory = this.#memory.peek(key)
    const entry = memory !== undefined && this.#canFallBack(memory) ? memory : fallback
    if (entry === undefined) throw error

    const ageMs = this.#clock.now() - entry.loadedAt
    this.#staleServed++
    if (this.#events.has('stale')) this.#events.emit('stale', { key, ageMs, error })
    this.#logger?.warn({ key, ageMs, err: error }, 'cache served a stale entry: loading failed')

    return { value: entry.value as T, stale: true, ageMs }
  }

  /** Removes a settled flight from the table, unless a newer load of its key took its place. */
  #land(flight: Flight<unknown>): void {
    if (this.#flights.get(flight.key) === flight) this.#flights.delete(flight.key)
  }

  #store(
    key: string,
    value: unknown,
    tags: readonly string[],
    sequence: number,
    expiry: Expiry,
  ): void {
    const bytes = this.#sizeOf(value, key) + ENTRY_OVERHEAD_BYTES + key.length * 2
    if (!(bytes > 0 && bytes <= this.#options.maxEntryBytes)) {
      // Too large to keep (or an unusable size): the callers got it, later reads load again.
      this.#memory.delete(key)
      return
    }

    const entry: Entry = {
      value,
      tags,
      sequence,
      loadedAt: expiry.loadedAt,
      freshUntil: expiry.freshUntil,
      graceUntil: expiry.graceUntil,
      resolved: undefined,
    }

    this.#memory.set(key, entry, { size: Math.ceil(bytes) })
  }

  /** When an entry loaded now stops being fresh, and stops being usable at all. */
  #expiry(lifetimes: Pick<Lifetimes, 'ttlMs' | 'graceMs'>): Expiry {
    const now = this.#clock.now()
    const jitter = this.#options.ttlJitter === 0 ? 0 : this.#options.ttlJitter * this.#random()
    const freshUntil = now + lifetimes.ttlMs * (1 - jitter)

    return { loadedAt: now, freshUntil, graceUntil: freshUntil + lifetimes.graceMs }
  }

  /** A load under way of `key` that a new reader may join, if nothing it depends on changed. */
  #joinableFlight(key: string): Flight<unknown> | undefined {
    const flight = this.#flights.get(key)
    if (flight === undefined || flight.fenced) return undefined

    const standing = this.#versions.standing(flight.tags, flight.sequence)

    return standing === Standing.Current ? flight : undefined
  }

  #canFallBack(entry: Entry): boolean {
    return (
      this.#clock.now() < entry.graceUntil &&
      this.#versions.standing(entry.tags, entry.sequence) !== Standing.HardInvalidated
    )
  }

  /** Reclaims an entry read past its grace window or after a hard invalidation. */
  #dropIfUnusable(key: string, entry: Entry): void {
    if (!this.#canFallBack(entry)) this.#memory.delete(key)
  }

  #apply(tags: readonly string[], keys: readonly string[], soft: boolean): void {
    if (tags.length > 0) this.#versions.invalidate(tags, soft)

    for (const key of keys) {
      const flight = this.#flights.get(key)
      if (flight !== undefined) flight.fenced = true

      if (!soft) {
        this.#memory.delete(key)
        continue
      }

      const entry = this.#memory.peek(key)
      if (entry !== undefined) entry.freshUntil = Number.NEGATIVE_INFINITY
    }

    this.#invalidations++
    if (this.#versions.size > this.#pruneAt) this.#prune()
  }

  /**
   * Keeps the table of tag versions from growing without bound when many distinct tags are
   * invalidated (one per user, say). Versions older than every live entry and load can no
   * longer change a verdict and are dropped; entries found hard-invalidated on the way are
   * reclaimed. The scan is linear in the entries held, and runs only when the table has
   * doubled since the last one, so its cost per invalidation stays constant on average.
   */
  #prune(): void {
    let oldest = this.#versions.sequence
    const unusable: string[] = []

    for (const [key, entry] of this.#memory.entries()) {
      if (!this.#canFallBack(entry)) unusable.push(key)
      else if (entry.sequence < oldest) oldest = entry.sequence
    }

    for (const flight of this.#flights.values()) {
      if (flight.sequence < oldest) oldest = flight.sequence
    }

    for (const key of unusable) this.#memory.delete(key)

    this.#versions.forgetBefore(oldest)
    this.#pruneAt = Math.max(PRUNE_FLOOR, this.#versions.size * 2)
  }

  /** What the bus calls on this cache. */
  #subscriber(): BusSubscriber {
    return {
      invalidate: (message) => this.#receive(message),
      reset: () => this.#reset(),
      connected: () => this.#propagation?.nudge(),
    }
  }

  #receive(message: InvalidationMessage): void {
    if (message.namespace !== this.namespace || message.origin === this.#origin) return
    if (message.all === true) {
      this.#reset()
      return
    }

    try {
      const { tags, keys, mode } = resolveInvalidation({
        tags: message.tags,
        keys: message.keys,
        mode: message.mode,
      })

      this.#apply(tags, keys, mode === 'soft')
      if (this.#events.has('invalidate')) {
        this.#events.emit('invalidate', { tags, keys, mode, remote: true })
      }
    } catch (error) {
      this.#events.emit('error', { error, during: 'receiving an invalidation' })
    }
  }

  /**
   * Forgets everything a missed invalidation could have reached: the whole memory tier, and
   * every load under way (their results still answer their callers but are not stored).
   */
  #reset(): void {
    for (const flight of this.#flights.values()) flight.fenced = true
    this.#memory.clear()
    this.#resets++
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

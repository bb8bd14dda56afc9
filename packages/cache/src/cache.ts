import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { collect, inOrder, pick } from './batch'
import type { InvalidationBus, InvalidationMessage } from './bus'
import { type Clock, systemClock } from './clock'
import { isCacheMissingValueError } from './errors'
import { type CacheEvents, type CacheListener, Emitter } from './events'
import { abandonable, callLoader, Flight, noop, type Outcome, underDeadline } from './flight'
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
import { asCoalesced, asMiss, valueOfResult } from './results'
import { estimateBytes } from './size'
import { Standing, TagVersions } from './tag-versions'
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

  #hits = 0
  #misses = 0
  #coalesced = 0
  #staleServed = 0
  #loadErrors = 0
  #discarded = 0
  #evictions = 0
  #invalidations = 0
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

    this.#unsubscribe = this.#bus?.subscribe((message) => this.#receive(message))
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
    // something was invalidated since the entry was loaded, one map look-up per tag.
    const entry = this.#memory.get(key)

    if (entry !== undefined && this.#isFresh(entry)) {
      this.#hits++
      if (this.#events.has('hit')) this.#events.emit('hit', { key })

      return Promise.resolve(entry.value as T)
    }

    return this.#read(key, loader, options, entry).then(valueOfResult)
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
   * of `key` already under way will not overwrite it.
   */
  set(key: string, value: unknown, options?: SetOptions): void {
    checkCacheKey(key, 'set')

    const flight = this.#flights.get(key)
    if (flight !== undefined) flight.fenced = true

    const ttlMs = perCallDuration(options?.ttlMs, this.#options.ttlMs, 'ttlMs', 'set')
    const graceMs = perCallDuration(options?.graceMs, this.#options.graceMs, 'graceMs', 'set')

    this.#store(key, value, entryTags(key, options?.tags), this.#versions.sequence, ttlMs, graceMs)
  }

  /**
   * Invalidates what `target` names (see {@link InvalidationTarget}). Once the returned
   * promise resolves, no read that starts later returns anything loaded before, except a
   * `stale` fallback after a soft invalidation. Loads under way keep answering their own
   * callers but their results are not stored. With a bus, the promise resolves after the
   * message was published, and rejects if it could not be (this instance is invalidated
   * either way).
   *
   * Cost: one map write per tag and one delete per key, whatever the number of entries.
   */
  async invalidate(target: InvalidationTarget): Promise<void> {
    const { tags, keys, mode } = resolveInvalidation(target)

    this.#apply(tags, keys, mode === 'soft')
    if (this.#events.has('invalidate')) {
      this.#events.emit('invalidate', { tags, keys, mode, remote: false })
    }

    if (this.#bus !== undefined) {
      const message = { namespace: this.namespace, origin: this.#origin, tags, keys, mode }
      await this.#bus.publish(message)
    }
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
    }
  }

  /** Listens to one kind of event; the returned function stops listening. */
  on<Name extends keyof CacheEvents>(name: Name, listener: CacheListener<Name>): () => void {
    return this.#events.on(name, listener)
  }

  /** Stops listening to the bus. Entries stay readable; loads under way finish. */
  close(): void {
    this.#unsubscribe?.()
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
    const launched = this.#launch(loader, previous?.loaderDone, timeoutMs, key)
    const flight = this.#track<T>(
      key,
      entryTags(key, options?.tags),
      launched,
      launched.loaded,
      options,
    )

    return abandonable(flight.outcome, options?.signal).then(asMiss)
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
    const run = (signal: AbortSignal) => loadMany(keys, signal)
    const waitFor = previous.length === 0 ? undefined : Promise.all(previous)
    const launched = this.#launch(run, waitFor, timeoutMs, keys[0] as string)

    return keys.map((key) => {
      const loaded = launched.loaded.then((values) => pick(values, key))
      const tags = entryTags(
        key,
        typeof options?.tags === 'function' ? options.tags(key) : options?.tags,
      )

      return this.#track<T>(key, tags, launched, loaded, options)
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
    options: Pick<GetOptions, 'ttlMs' | 'graceMs'> | undefined,
  ): Flight<T> {
    const ttlMs = perCallDuration(options?.ttlMs, this.#options.ttlMs, 'ttlMs')
    const graceMs = perCallDuration(options?.graceMs, this.#options.graceMs, 'graceMs')
    const flight = new Flight<T>(key, tags, this.#versions.sequence, launched.done)

    flight.outcome = loaded.then(
      (value) => this.#loaded(flight, value as T, ttlMs, graceMs),
      (error: unknown) => this.#failed(flight, error),
    )

    this.#flights.set(key, flight as Flight<unknown>)
    this.#misses++
    if (this.#events.has('miss')) this.#events.emit('miss', { key })

    return flight
  }

  #loaded<T>(flight: Flight<T>, value: T, ttlMs: number, graceMs: number): Outcome<T> {
    this.#land(flight)

    const overlapped =
      flight.fenced || this.#versions.standing(flight.tags, flight.sequence) !== Standing.Current

    if (overlapped) {
      this.#discarded++
      if (this.#events.has('discarded')) this.#events.emit('discarded', { key: flight.key })
    } else {
      this.#store(flight.key, value, flight.tags, flight.sequence, ttlMs, graceMs)
    }

    return { value, stale: false, ageMs: 0 }
  }

  #failed<T>(flight: Flight<T>, error: unknown): Outcome<T> {
    this.#land(flight)
    if (isCacheMissingValueError(error)) throw error

    const key = flight.key
    this.#loadErrors++
    if (this.#events.has('loadError')) this.#events.emit('loadError', { key, error })

    const entry = this.#memory.peek(key)
    if (entry === undefined || !this.#canFallBack(entry)) throw error

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
    ttlMs: number,
    graceMs: number,
  ): void {
    const bytes = this.#sizeOf(value, key) + ENTRY_OVERHEAD_BYTES + key.length * 2
    if (!(bytes > 0 && bytes <= this.#options.maxEntryBytes)) {
      // Too large to keep (or an unusable size): the callers got it, later reads load again.
      this.#memory.delete(key)
      return
    }

    const now = this.#clock.now()
    const jitter = this.#options.ttlJitter === 0 ? 0 : this.#options.ttlJitter * this.#random()
    const freshUntil = now + ttlMs * (1 - jitter)
    const entry: Entry = {
      value,
      tags,
      sequence,
      loadedAt: now,
      freshUntil,
      graceUntil: freshUntil + graceMs,
    }

    this.#memory.set(key, entry, { size: Math.ceil(bytes) })
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

  #receive(message: InvalidationMessage): void {
    if (message.namespace !== this.namespace || message.origin === this.#origin) return

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

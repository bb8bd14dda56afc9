import { pick } from './batch'
import type { Clock } from './clock'
import type { Entries } from './entries'
import { isCacheMissingValueError } from './errors'
import type { Emitter } from './events'
import { callLoader, Flight, noop, type Outcome, underDeadline } from './flight'
import { entryTags } from './keys'
import type { CacheLogger } from './logger'
import { type GetOptions, perCallDuration, type ResolvedCacheOptions } from './options'
import { Standing, type TagVersions } from './tag-versions'
import {
  type Expiry,
  FailedLoad,
  FromStore,
  type Lifetimes,
  type TieredLoad,
  type TieredOutcome,
} from './tiered-load'
import type { BatchLoader, GetManyOptions, Loader } from './types'

/** What {@link Loads} needs from its cache. */
export interface LoadsOptions {
  readonly options: ResolvedCacheOptions
  readonly flights: Map<string, Flight<unknown>>
  readonly versions: TagVersions
  readonly entries: Entries
  /** Present with a shared store: loads go through it. */
  readonly tier: TieredLoad | undefined
  readonly events: Emitter
  readonly clock: Clock
  readonly logger: CacheLogger | undefined
}

/**
 * The loads of a cache's misses, from start to settled. A load starts once the previous
 * load of its key is done, under the load deadline, and through the shared store when
 * there is one; its flight stays in the table while it runs, for later readers to join.
 * Once it settles, its value is stored, or discarded when an invalidation overlapped the
 * load; a failure is answered by an entry still inside its grace window, flagged stale, or
 * rethrown. Counts each of these.
 */
export class Loads {
  /** Reads that started a load. */
  misses = 0
  /** Loads whose result was not stored because an invalidation overlapped them. */
  discarded = 0
  /** Loads the shared store answered. */
  storeHits = 0
  /** Loads that failed or passed their deadline. */
  loadErrors = 0
  /** Failed loads answered by a stale entry. */
  staleServed = 0

  readonly #options: ResolvedCacheOptions
  readonly #flights: Map<string, Flight<unknown>>
  readonly #versions: TagVersions
  readonly #entries: Entries
  readonly #tier: TieredLoad | undefined
  readonly #events: Emitter
  readonly #clock: Clock
  readonly #logger: CacheLogger | undefined

  constructor(options: LoadsOptions) {
    this.#options = options.options
    this.#flights = options.flights
    this.#versions = options.versions
    this.#entries = options.entries
    this.#tier = options.tier
    this.#events = options.events
    this.#clock = options.clock
    this.#logger = options.logger
  }

  /** Starts a load of `key` for a read that found no fresh entry and no load to join. */
  one<T>(key: string, loader: Loader<T>, options: GetOptions | undefined): Flight<T> {
    const previous = this.#flights.get(key)
    const timeoutMs = perCallDuration(
      options?.loadTimeoutMs,
      this.#options.loadTimeoutMs,
      'loadTimeoutMs',
    )
    const tags = entryTags(key, options?.tags)
    const lifetimes = lifetimesOf(options, this.#options)
    const run = this.#tier === undefined ? loader : this.#tier.one(key, tags, lifetimes, loader)
    const launched = launch(run, previous?.loaderDone, timeoutMs, key)

    return this.#track<T>(key, tags, launched, launched.loaded, lifetimes)
  }

  /** Starts one load of every key in `keys`, through one call of `loadMany`. */
  batch<T>(
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
    const lifetimes = lifetimesOf(options, this.#options)
    const run =
      this.#tier === undefined
        ? (signal: AbortSignal) => loadMany(keys, signal)
        : this.#tier.many(keys, tagsOf, lifetimes, loadMany as BatchLoader<unknown>)
    const waitFor = previous.length === 0 ? undefined : Promise.all(previous)
    const launched = launch(run, waitFor, timeoutMs, keys[0] as string)

    return keys.map((key) => {
      const loaded = launched.loaded.then((values) => pick(values, key))

      return this.#track<T>(key, tagsOf(key), launched, loaded, lifetimes)
    })
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
    this.misses++
    if (this.#events.has('miss')) this.#events.emit('miss', { key })

    return flight
  }

  /** A load that resolved: with the loader's value, or with what the shared store said. */
  #loaded<T>(flight: Flight<T>, value: unknown, lifetimes: Lifetimes): TieredOutcome<T> {
    if (value instanceof FromStore) return this.#fromStore(flight, value)
    if (value instanceof FailedLoad) return this.#failed(flight, value.error)

    this.#land(flight)
    if (this.#overlapped(flight)) {
      this.discarded++
      if (this.#events.has('discarded')) this.#events.emit('discarded', { key: flight.key })
    } else if (lifetimes.shouldStore?.(value) === false) {
      // Not kept, and nothing older may stand in for it later: the source just said so.
      this.#entries.memory.delete(flight.key)
    } else {
      const expiry = this.#entries.expiry(lifetimes)
      this.#entries.store(flight.key, value, flight.tags, flight.sequence, expiry)
    }

    return { value: value as T, stale: false, ageMs: 0 }
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
    this.loadErrors++
    if (this.#events.has('loadError')) this.#events.emit('loadError', { key, error })

    const memory = this.#entries.memory.peek(key)
    const entry = memory !== undefined && this.#entries.canFallBack(memory) ? memory : fallback
    if (entry === undefined) throw error

    const ageMs = this.#clock.now() - entry.loadedAt
    this.staleServed++
    if (this.#events.has('stale')) this.#events.emit('stale', { key, ageMs, error })
    this.#logger?.warn({ key, ageMs, err: error }, 'cache served a stale entry: loading failed')

    return { value: entry.value as T, stale: true, ageMs }
  }

  /** An answer of the shared store: a fresh entry it held, or a stale one the loader failed. */
  #fromStore<T>(flight: Flight<T>, found: FromStore): TieredOutcome<T> {
    const { entry } = found
    if (found.stale) return this.#failed(flight, found.error, entry)

    this.#land(flight)
    this.storeHits++
    if (!this.#overlapped(flight)) {
      this.#entries.store(flight.key, entry.value, flight.tags, flight.sequence, entry)
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

  /** Removes a settled flight from the table, unless a newer load of its key took its place. */
  #land(flight: Flight<unknown>): void {
    if (this.#flights.get(flight.key) === flight) this.#flights.delete(flight.key)
  }
}

/** A loader call under way, as {@link launch} started it. */
interface Launched {
  /** Settles as the loader did, or rejects at the load deadline. */
  readonly loaded: Promise<unknown>
  /** Resolves (never rejects) once `loaded` settled. */
  readonly done: Promise<void>
}

/**
 * Calls the loader once `previous` (an earlier load of the same key) is done, under the
 * load deadline. The deadline runs from now, waiting included, so a hung earlier load
 * turns into a timeout and a stale fallback rather than an endless wait.
 */
function launch(
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

/** The lifetimes one call gives the entries it loads, checked, with the cache's defaults. */
function lifetimesOf(
  options: GetOptions | GetManyOptions | undefined,
  defaults: ResolvedCacheOptions,
): Lifetimes {
  const shouldStore = options?.shouldStore
  if (shouldStore !== undefined && typeof shouldStore !== 'function') {
    throw new TypeError(
      `options.shouldStore must be a function of the value, received ${typeof shouldStore}`,
    )
  }

  return {
    ttlMs: perCallDuration(options?.ttlMs, defaults.ttlMs, 'ttlMs'),
    graceMs: perCallDuration(options?.graceMs, defaults.graceMs, 'graceMs'),
    shouldStore: shouldStore as ((value: unknown) => boolean) | undefined,
  }
}

import type { Clock } from './clock'
import type { Outcome } from './flight'
import type { Propagation } from './propagation'
import type { SharedStore, StoredEntry, StoreEntry, StoreRead, StoreWrite } from './store'
import { Standing } from './tag-versions'
import type { BatchLoader, CacheResult, Loader } from './types'

/** How long an entry stays fresh, and usable after that, in milliseconds. */
export interface Lifetimes {
  readonly ttlMs: number
  readonly graceMs: number
  /** Whether a loaded value is kept at all; `undefined` keeps every value. */
  readonly shouldStore: ((value: unknown) => boolean) | undefined
}

/** When an entry was loaded, stops being fresh and stops being usable, in clock milliseconds. */
export interface Expiry {
  readonly loadedAt: number
  readonly freshUntil: number
  readonly graceUntil: number
}

/**
 * A load the shared store answered instead of the loader: with a fresh entry, or, when the
 * loader failed, with an entry still inside its grace window (`stale`).
 */
export class FromStore {
  constructor(
    readonly entry: StoredEntry,
    readonly stale: boolean,
    readonly error: unknown,
  ) {}
}

/** A key of a batch whose loader failed, with nothing in the store to stand in for it. */
export class FailedLoad {
  constructor(readonly error: unknown) {}
}

/** An outcome that may have come from the shared store. */
export interface TieredOutcome<T> extends Outcome<T> {
  /** True when the store answered and the loader was not called. */
  readonly fromStore?: boolean
}

/** The result of the caller whose read started the load: a store answer counts as a hit. */
export function asRead<T>(outcome: TieredOutcome<T>): CacheResult<T> {
  const provenance = outcome.stale ? 'stale' : outcome.fromStore === true ? 'hit' : 'miss'

  return { value: outcome.value, provenance, ageMs: outcome.ageMs }
}

/** What {@link TieredLoad} needs from its cache. */
export interface TieredLoadOptions {
  readonly store: SharedStore
  readonly namespace: string
  readonly clock: Clock
  readonly propagation: Propagation
  readonly expiry: (lifetimes: Lifetimes) => Expiry
  readonly report: (error: unknown, during: string) => void
}

interface Judged {
  readonly entry: StoredEntry
  readonly fresh: boolean
  readonly usable: boolean
}

/**
 * Loads through the shared store, on a memory miss only: the memory hit path never reaches
 * it. A load first reads the store, which judges the entry against its own tag versions and
 * returns, in the same round trip, the stamp the load must carry. A fresh, current entry
 * answers without calling the loader. Otherwise the loader runs and its value is written to
 * the store under that stamp, so a load that raced an invalidation (made by any instance) is
 * refused by the store instead of being stored as fresh. When the loader fails, an entry the
 * store still holds inside its grace window stands in, flagged stale, unless a hard
 * invalidation reached it. A store that fails counts as empty: the loader answers.
 */
export class TieredLoad {
  readonly #store: SharedStore
  readonly #namespace: string
  readonly #clock: Clock
  readonly #propagation: Propagation
  readonly #expiry: (lifetimes: Lifetimes) => Expiry
  readonly #report: (error: unknown, during: string) => void

  constructor(options: TieredLoadOptions) {
    this.#store = options.store
    this.#namespace = options.namespace
    this.#clock = options.clock
    this.#propagation = options.propagation
    this.#expiry = options.expiry
    this.#report = options.report
  }

  /** The loader of one key, through the store. */
  one(
    key: string,
    tags: readonly string[],
    lifetimes: Lifetimes,
    loader: Loader<unknown>,
  ): (signal: AbortSignal) => Promise<unknown> {
    return async (signal) => {
      const read = await this.#read([key], signal)
      const found = this.#judge(read?.entries[0], key)
      if (found?.fresh === true) return new FromStore(found.entry, false, undefined)

      let value: unknown
      try {
        value = await loader(signal)
      } catch (error) {
        if (found?.usable === true) return new FromStore(found.entry, true, error)
        throw error
      }

      if (read !== undefined && lifetimes.shouldStore?.(value) !== false) {
        this.#write(read.stamp, [{ key, entry: this.#entry(value, tags, lifetimes) }])
      }

      return value
    }
  }

  /**
   * The loader of a batch, through the store: one store read for every key, the batch loader
   * for the keys the store could not answer, and one store write for what it returned. The
   * result maps each key to its value, a {@link FromStore} or a {@link FailedLoad}.
   */
  many(
    keys: readonly string[],
    tagsOf: (key: string) => readonly string[],
    lifetimes: Lifetimes,
    loadMany: BatchLoader<unknown>,
  ): (signal: AbortSignal) => Promise<unknown> {
    return async (signal) => {
      const read = await this.#read(keys, signal)
      const results = new Map<string, unknown>()
      const rest: string[] = []
      const fallbacks = new Map<string, StoredEntry>()

      keys.forEach((key, index) => {
        const found = this.#judge(read?.entries[index], key)
        if (found?.fresh === true) {
          results.set(key, new FromStore(found.entry, false, undefined))
          return
        }

        rest.push(key)
        if (found?.usable === true) fallbacks.set(key, found.entry)
      })
      if (rest.length === 0) return results

      let loaded: unknown
      try {
        loaded = await loadMany(rest, signal)
      } catch (error) {
        for (const key of rest) {
          const entry = fallbacks.get(key)
          results.set(
            key,
            entry === undefined ? new FailedLoad(error) : new FromStore(entry, true, error),
          )
        }
        return results
      }

      // Not a Map: handed on as it is, so every key rejects with the TypeError it would
      // without a store.
      if (!(loaded instanceof Map)) return loaded

      const writes: StoreWrite[] = []
      for (const key of rest) {
        if (!loaded.has(key)) continue

        const value: unknown = loaded.get(key)
        results.set(key, value)
        if (lifetimes.shouldStore?.(value) === false) continue
        writes.push({ key, entry: this.#entry(value, tagsOf(key), lifetimes) })
      }
      if (read !== undefined && writes.length > 0) this.#write(read.stamp, writes)

      return results
    }
  }

  /** Writes a value stored with `set`, as of now. */
  write(key: string, value: unknown, tags: readonly string[], expiry: Expiry): void {
    this.#write(undefined, [{ key, entry: { value, tags, ...expiry } }])
  }

  async #read(keys: readonly string[], signal: AbortSignal): Promise<StoreRead | undefined> {
    try {
      return await this.#store.read(this.#namespace, keys, signal)
    } catch (error) {
      this.#report(error, 'reading the shared store')
      return undefined
    }
  }

  #write(stamp: string | undefined, writes: readonly StoreWrite[]): void {
    this.#store.write(this.#namespace, stamp, writes).catch((error: unknown) => {
      this.#report(error, 'writing the shared store')
    })
  }

  #judge(entry: StoredEntry | undefined, key: string): Judged | undefined {
    if (entry === undefined) return undefined

    const held = this.#propagation.standing(entry.tags, key)
    if (held === Standing.HardInvalidated) return undefined

    const now = this.#clock.now()
    const current = entry.standing === 'current' && held === Standing.Current

    return { entry, fresh: current && now < entry.freshUntil, usable: now < entry.graceUntil }
  }

  #entry(value: unknown, tags: readonly string[], lifetimes: Lifetimes): StoreEntry {
    return { value, tags, ...this.#expiry(lifetimes) }
  }
}

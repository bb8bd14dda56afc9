import { LRUCache } from 'lru-cache'
import type { Clock } from './clock'
import type { Emitter } from './events'
import { Standing, type TagVersions } from './tag-versions'
import type { Expiry, Lifetimes } from './tiered-load'

/** One value held in the memory tier. */
export interface Entry {
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

/** Bytes charged per entry for its bookkeeping, on top of `sizeOf` of its value. */
const ENTRY_OVERHEAD_BYTES = 160

/** What {@link Entries} needs from its cache. */
export interface EntriesOptions {
  readonly maxBytes: number
  readonly maxEntryBytes: number
  readonly ttlJitter: number
  readonly clock: Clock
  readonly random: () => number
  readonly sizeOf: (value: unknown, key: string) => number
  readonly versions: TagVersions
  readonly events: Emitter
}

/**
 * The memory tier: a byte-bounded LRU of entries, with the rules of storing one, of when
 * one stops being fresh, and of whether one may still stand in for a failed load. The cache
 * reads {@link Entries.memory} itself on its hot path; everything else goes through here.
 */
export class Entries {
  /** The entries by key, least recently used evicted first past `maxBytes`. */
  readonly memory: LRUCache<string, Entry>

  /** Entries pushed out by the byte bound, for statistics. */
  evictions = 0

  readonly #maxEntryBytes: number
  readonly #ttlJitter: number
  readonly #clock: Clock
  readonly #random: () => number
  readonly #sizeOf: (value: unknown, key: string) => number
  readonly #versions: TagVersions

  constructor(options: EntriesOptions) {
    this.#maxEntryBytes = options.maxEntryBytes
    this.#ttlJitter = options.ttlJitter
    this.#clock = options.clock
    this.#random = options.random
    this.#sizeOf = options.sizeOf
    this.#versions = options.versions

    const events = options.events
    this.memory = new LRUCache<string, Entry>({
      maxSize: options.maxBytes,
      maxEntrySize: options.maxEntryBytes,
      dispose: (_entry, key, reason) => {
        if (reason !== 'evict') return

        this.evictions++
        if (events.has('evict')) events.emit('evict', { key })
      },
    })
  }

  /** Keeps `value` under `key`, unless it is too large to keep: then the key is dropped. */
  store(
    key: string,
    value: unknown,
    tags: readonly string[],
    sequence: number,
    expiry: Expiry,
  ): void {
    const bytes = this.#sizeOf(value, key) + ENTRY_OVERHEAD_BYTES + key.length * 2
    if (!(bytes > 0 && bytes <= this.#maxEntryBytes)) {
      // Too large to keep (or an unusable size): the callers got it, later reads load again.
      this.memory.delete(key)
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

    this.memory.set(key, entry, { size: Math.ceil(bytes) })
  }

  /** When an entry loaded now stops being fresh, and stops being usable at all. */
  expiry(lifetimes: Pick<Lifetimes, 'ttlMs' | 'graceMs'>): Expiry {
    const now = this.#clock.now()
    const jitter = this.#ttlJitter === 0 ? 0 : this.#ttlJitter * this.#random()
    const freshUntil = now + lifetimes.ttlMs * (1 - jitter)

    return { loadedAt: now, freshUntil, graceUntil: freshUntil + lifetimes.graceMs }
  }

  /** Whether `entry` may still be served as a `stale` fallback. */
  canFallBack(entry: Entry): boolean {
    return (
      this.#clock.now() < entry.graceUntil &&
      this.#versions.standing(entry.tags, entry.sequence) !== Standing.HardInvalidated
    )
  }

  /** Reclaims an entry read past its grace window or after a hard invalidation. */
  dropIfUnusable(key: string, entry: Entry): void {
    if (!this.canFallBack(entry)) this.memory.delete(key)
  }
}

import type { InvalidationMessage } from './bus'
import type { Clock } from './clock'
import { Standing, TagVersions } from './tag-versions'

/** An entry as the cache hands it to a shared store. Times are the writer's clock milliseconds. */
export interface StoreEntry {
  /** The cached value. A store that crosses processes serializes it. */
  readonly value: unknown
  /** The entry's tags, by which it can be invalidated. */
  readonly tags: readonly string[]
  /** When the value was loaded. */
  readonly loadedAt: number
  /** When it stops being fresh. */
  readonly freshUntil: number
  /** When it stops being usable even as a stale fallback; the store may forget it then. */
  readonly graceUntil: number
}

/** An entry a store found, with how it stands against the invalidations the store recorded. */
export interface StoredEntry extends StoreEntry {
  /**
   * `current`: no invalidation reached it since its load started. `soft`: a soft invalidation
   * did, so it may only serve as a stale fallback. Hard-invalidated entries are never returned.
   */
  readonly standing: 'current' | 'soft'
}

/** What one {@link SharedStore.read} found. */
export interface StoreRead {
  /**
   * What a load starting now must be stamped with when its result is written: the store
   * refuses a write whose stamp predates an invalidation of the entry's tags or key. Opaque.
   */
  readonly stamp: string
  /** One item per key asked, in order: the entry, or `undefined` when none is usable. */
  readonly entries: ReadonlyArray<StoredEntry | undefined>
}

/** One entry to write. */
export interface StoreWrite {
  /** The entry's key. */
  readonly key: string
  /** The entry. */
  readonly entry: StoreEntry
}

/**
 * A second tier shared by every instance of a service (Redis, say), read when the memory tier
 * has no fresh entry and written after each load. It keeps its own tag versions, so an
 * invalidation made through any instance reaches entries any instance stored, at a cost that
 * does not depend on the number of entries.
 *
 * The contract a cache relies on:
 * - `read` judges each entry against the invalidations recorded so far, exactly like the
 *   memory tier (hard: gone; soft: fallback only), and returns the stamp a load starting now
 *   must carry, in the same step;
 * - `write` stores an entry only if no invalidation of its tags or key was recorded after its
 *   stamp, and never replaces an entry with an older stamp; without a stamp it writes as of
 *   now (for `set`);
 * - `invalidate` records its tags and keys, or with `all` forgets every entry of the
 *   namespace, before it resolves;
 * - calls take effect in the order they are made, and a read made before an invalidation
 *   resolves before it (one ordered connection gives both).
 *
 * Failures reject; the cache treats a failed read as absent, reports a failed write, and
 * keeps a failed invalidation in its outbox until it succeeds.
 */
export interface SharedStore {
  /** Reads the entries of `keys` in `namespace`, judged, with the stamp for a load. */
  read(namespace: string, keys: readonly string[], signal?: AbortSignal): Promise<StoreRead>
  /** Writes loaded entries stamped `stamp` (from `read`), or as of now when `undefined`. */
  write(
    namespace: string,
    stamp: string | undefined,
    writes: readonly StoreWrite[],
    signal?: AbortSignal,
  ): Promise<void>
  /** Records an invalidation of `message.namespace`. */
  invalidate(message: InvalidationMessage, signal?: AbortSignal): Promise<void>
}

/** Settings of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most entries kept over all namespaces; the oldest written are dropped first.
   * @defaultValue `10000`
   */
  readonly maxEntries?: number
  /**
   * The time source entries expire by; give it the caches' clock in tests.
   * @defaultValue wall-clock milliseconds (`Date.now`)
   */
  readonly clock?: Clock
}

interface Held {
  readonly entry: StoreEntry
  readonly epoch: number
  readonly sequence: number
}

interface Space {
  readonly versions: TagVersions
  epoch: number
  /** Stamps below this were taken before versions that have since been forgotten. */
  floor: number
}

/**
 * A shared store inside one process: the reference behaviour a remote store must match, and a
 * way to run several caches over one store in tests. Values are kept by reference, not
 * copied, and the store is bounded by entry count, not bytes: use it for tests and tools.
 *
 * @example
 * ```ts
 * const store = createMemoryStore()
 * const bus = createMemoryBus()
 * const a = createCache({ store, bus })
 * const b = createCache({ store, bus }) // b reads what a loaded without calling its loader
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): SharedStore {
  const maxEntries = options.maxEntries ?? 10_000
  if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) {
    throw new RangeError(
      `createMemoryStore: options.maxEntries must be a positive integer, received ${maxEntries}`,
    )
  }
  const clock = options.clock ?? { now: Date.now }
  const entries = new Map<string, Held>()
  const spaces = new Map<string, Space>()

  const spaceOf = (namespace: string): Space => {
    let space = spaces.get(namespace)
    if (space === undefined) {
      space = { versions: new TagVersions(), epoch: 0, floor: 0 }
      spaces.set(namespace, space)
    }
    return space
  }
  const standingOf = (space: Space, key: string, tags: readonly string[], sequence: number) =>
    space.versions.standing([`k:${key}`, ...tags.map((tag) => `t:${tag}`)], sequence)

  return {
    async read(namespace, keys) {
      const space = spaceOf(namespace)
      const found = keys.map((key) => {
        const id = entryId(namespace, key)
        const held = entries.get(id)
        if (held === undefined) return undefined

        const standing =
          held.epoch === space.epoch && clock.now() < held.entry.graceUntil
            ? standingOf(space, key, held.entry.tags, held.sequence)
            : Standing.HardInvalidated
        if (standing === Standing.HardInvalidated) {
          entries.delete(id)
          return undefined
        }

        const judged: StoredEntry = {
          ...held.entry,
          standing: standing === Standing.Current ? 'current' : 'soft',
        }
        return judged
      })

      return { stamp: `${space.epoch}:${space.versions.sequence}`, entries: found }
    },

    async write(namespace, stamp, writes) {
      const space = spaceOf(namespace)
      const [epoch, sequence] =
        stamp === undefined ? [space.epoch, space.versions.sequence] : parse(stamp)
      if (epoch !== space.epoch || sequence < space.floor) return

      for (const { key, entry } of writes) {
        const id = entryId(namespace, key)
        const held = entries.get(id)
        if (standingOf(space, key, entry.tags, sequence) !== Standing.Current) continue
        if (held !== undefined && held.epoch === epoch && held.sequence > sequence) continue

        entries.delete(id)
        entries.set(id, { entry, epoch, sequence })
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
      }

      forgetOldVersions(namespace, space)
    },

    async invalidate(message) {
      const space = spaceOf(message.namespace)
      if (message.all === true) {
        space.epoch += 1
        return
      }

      const soft = message.mode === 'soft'
      space.versions.invalidate(
        [...message.tags.map((tag) => `t:${tag}`), ...message.keys.map((key) => `k:${key}`)],
        soft,
      )
      if (!soft) for (const key of message.keys) entries.delete(entryId(message.namespace, key))

      forgetOldVersions(message.namespace, space)
    },
  }

  /**
   * Keeps the versions table bounded: once it outgrows the entries, versions older than every
   * live entry of the namespace are forgotten, and writes stamped before them are refused.
   */
  function forgetOldVersions(namespace: string, space: Space): void {
    if (space.versions.size <= Math.max(1_000, 2 * entries.size)) return

    let oldest = space.versions.sequence
    for (const [id, held] of entries) {
      if (id.startsWith(`${namespace}\u0000`) && held.sequence < oldest) oldest = held.sequence
    }

    space.versions.forgetBefore(oldest)
    space.floor = oldest
  }
}

function entryId(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`
}

function parse(stamp: string): [number, number] {
  const [epoch, sequence] = stamp.split(':').map(Number)
  return [epoch ?? Number.NaN, sequence ?? Number.NaN]
}

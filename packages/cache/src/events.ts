import type { InvalidationMode } from './invalidation'

/** Where a value returned by the cache came from. */
export type Provenance = 'hit' | 'miss' | 'coalesced' | 'stale'

/** The events a cache emits, by name, with what each listener receives. */
export interface CacheEvents {
  /** A fresh entry was returned without calling the loader. */
  hit: { readonly key: string }
  /** No fresh entry existed; this call started a load. */
  miss: { readonly key: string }
  /** No fresh entry existed; this call joined a load already under way. */
  coalesced: { readonly key: string }
  /** The load failed or passed its deadline and an expired entry was served instead. */
  stale: { readonly key: string; readonly ageMs: number; readonly error: unknown }
  /** A load failed (whether or not a stale entry was served in its place). */
  loadError: { readonly key: string; readonly error: unknown }
  /**
   * A load finished but its result was not stored because an invalidation of its key or of
   * one of its tags happened while it ran. Its own callers still received it.
   */
  discarded: { readonly key: string }
  /** The byte bound pushed the least recently used entry out. */
  evict: { readonly key: string }
  /** Tags or keys were invalidated, locally or by a message from another instance. */
  invalidate: {
    readonly tags: readonly string[]
    readonly keys: readonly string[]
    readonly mode: InvalidationMode
    readonly remote: boolean
  }
  /** A listener or the invalidation bus failed; the cache carried on. */
  error: { readonly error: unknown; readonly during: string }
}

/** A function that receives one kind of cache event. */
export type CacheListener<Name extends keyof CacheEvents> = (event: CacheEvents[Name]) => void

/**
 * A small typed event emitter. Emitting is guarded by {@link Emitter.has} at the call sites
 * on hot paths, so no event object is built when nobody listens.
 */
export class Emitter {
  readonly #listeners: Partial<Record<keyof CacheEvents, Array<(event: never) => void>>> = {}

  /** Whether anybody listens to `name`. */
  has(name: keyof CacheEvents): boolean {
    return this.#listeners[name] !== undefined
  }

  /** Adds a listener; the returned function removes it. */
  on<Name extends keyof CacheEvents>(name: Name, listener: CacheListener<Name>): () => void {
    this.#listeners[name] = [...(this.#listeners[name] ?? []), listener]

    return () => {
      const remaining = (this.#listeners[name] ?? []).filter((item) => item !== listener)
      this.#listeners[name] = remaining.length > 0 ? remaining : undefined
    }
  }

  /** Calls every listener of `name`; a listener that throws is reported as an `error`. */
  emit<Name extends keyof CacheEvents>(name: Name, event: CacheEvents[Name]): void {
    const listeners = this.#listeners[name] as Array<CacheListener<Name>> | undefined
    if (listeners === undefined) return

    for (const listener of listeners) {
      try {
        listener(event)
      } catch (error) {
        if (name !== 'error') this.emit('error', { error, during: `${name} listener` })
      }
    }
  }
}

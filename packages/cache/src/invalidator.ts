import type { BusSubscriber, InvalidationMessage } from './bus'
import type { Entries } from './entries'
import type { Emitter } from './events'
import type { Flight } from './flight'
import { type InvalidationMode, resolveInvalidation } from './invalidation'
import { PRUNE_FLOOR, pruneTagVersions } from './prune'
import type { TagVersions } from './tag-versions'

/** What {@link Invalidator} needs from its cache. */
export interface InvalidatorOptions {
  readonly namespace: string
  /** The cache instance's own id: messages it sent itself are not applied twice. */
  readonly origin: string
  readonly flights: ReadonlyMap<string, Flight<unknown>>
  readonly versions: TagVersions
  readonly entries: Entries
  readonly events: Emitter
  /** Whether a reset keeps entries as stale fallbacks instead of dropping them. */
  readonly resetKeepsStale: boolean
}

/**
 * Applies invalidations to one cache instance: its own, and those the bus brings from other
 * instances. Tags cost one map write each; keys are dropped (hard) or made not fresh (soft);
 * loads under way of a reached key are fenced, so their results are not stored.
 */
export class Invalidator {
  /** Invalidations applied, local and remote, for statistics. */
  invalidations = 0
  /** Times everything was forgotten because invalidations may have been missed. */
  resets = 0

  readonly #namespace: string
  readonly #origin: string
  readonly #flights: ReadonlyMap<string, Flight<unknown>>
  readonly #versions: TagVersions
  readonly #entries: Entries
  readonly #events: Emitter
  readonly #resetKeepsStale: boolean
  #pruneAt = PRUNE_FLOOR

  constructor(options: InvalidatorOptions) {
    this.#namespace = options.namespace
    this.#origin = options.origin
    this.#flights = options.flights
    this.#versions = options.versions
    this.#entries = options.entries
    this.#events = options.events
    this.#resetKeepsStale = options.resetKeepsStale
  }

  /** Applies resolved tags and keys at once, then emits an `invalidate` event. */
  apply(
    tags: readonly string[],
    keys: readonly string[],
    mode: InvalidationMode,
    remote: boolean,
  ): void {
    this.#apply(tags, keys, mode === 'soft')
    if (this.#events.has('invalidate')) {
      this.#events.emit('invalidate', { tags, keys, mode, remote })
    }
  }

  /** What the bus calls on the cache; `connected` is called when the bus listens again. */
  subscriber(connected: () => void): BusSubscriber {
    return {
      invalidate: (message) => this.receive(message),
      reset: () => this.reset(),
      connected,
    }
  }

  /**
   * Applies a message from the bus, unless it belongs to another namespace or came from
   * this instance; a malformed one is reported as an `error` event.
   */
  receive(message: InvalidationMessage): void {
    if (message.namespace !== this.#namespace || message.origin === this.#origin) return
    if (message.all === true) {
      this.reset()
      return
    }

    try {
      const { tags, keys, mode } = resolveInvalidation({
        tags: message.tags,
        keys: message.keys,
        mode: message.mode,
      })

      this.apply(tags, keys, mode, true)
    } catch (error) {
      this.#events.emit('error', { error, during: 'receiving an invalidation' })
    }
  }

  /**
   * Stops trusting everything a missed invalidation could have reached: every load under
   * way is fenced (its result still answers its callers but is not stored), and the memory
   * tier is dropped, or with `resetKeepsStale` kept as soft-invalidated (never fresh, usable
   * only as a flagged `stale` fallback).
   */
  reset(): void {
    for (const flight of this.#flights.values()) flight.fenced = true

    if (this.#resetKeepsStale) {
      this.#entries.memory.forEach((entry) => {
        entry.freshUntil = Number.NEGATIVE_INFINITY
      })
    } else {
      this.#entries.memory.clear()
    }

    this.resets++
  }

  #apply(tags: readonly string[], keys: readonly string[], soft: boolean): void {
    if (tags.length > 0) this.#versions.invalidate(tags, soft)

    for (const key of keys) {
      const flight = this.#flights.get(key)
      if (flight !== undefined) flight.fenced = true

      if (!soft) {
        this.#entries.memory.delete(key)
        continue
      }

      const entry = this.#entries.memory.peek(key)
      if (entry !== undefined) entry.freshUntil = Number.NEGATIVE_INFINITY
    }

    this.invalidations++
    if (this.#versions.size > this.#pruneAt) {
      this.#pruneAt = pruneTagVersions(this.#entries, this.#flights, this.#versions)
    }
  }
}

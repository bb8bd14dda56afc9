import type { InvalidationMode } from './invalidation'

/** An invalidation as it travels between cache instances. */
export interface InvalidationMessage {
  /** The namespace of the cache that sent it; caches of other namespaces ignore it. */
  readonly namespace: string
  /** An id of the sending cache instance, so it can ignore its own messages. */
  readonly origin: string
  /** Tags to invalidate. */
  readonly tags: readonly string[]
  /** Keys to invalidate. */
  readonly keys: readonly string[]
  /** Hard or soft, as given to `invalidate()`. */
  readonly mode: InvalidationMode
  /**
   * Reaches every entry of the namespace: receivers drop their whole memory tier and a shared
   * store forgets everything. A cache sends it in place of the invalidations its outbox could
   * no longer hold (see `maxPendingBytes`).
   * @defaultValue `false`
   */
  readonly all?: boolean
}

/** What a bus learned about one published message. */
export interface PublishReport {
  /**
   * How many subscriptions the transport delivered the message to, the sender's own
   * included when it has one.
   */
  readonly receivers: number
  /**
   * How many of them confirmed that they applied it. Fewer than `receivers` means some
   * instance may still serve, as fresh, entries the message invalidated.
   */
  readonly acknowledged: number
  /** Ids of the subscribers that should have confirmed and did not, when the bus knows them. */
  readonly missing?: readonly string[]
}

/** What a bus calls on each cache subscribed to it. */
export interface BusSubscriber {
  /** Applies an invalidation published by another cache instance. */
  invalidate(message: InvalidationMessage): void
  /**
   * Messages may have been missed (the subscription was down, the transport lost data, a
   * sequence number was skipped): forget everything that could depend on one of them.
   */
  reset(reason: string): void
  /** The subscription is up and in step again: work that waited for it may go now. */
  connected(): void
}

/**
 * Carries invalidations between cache instances, so that a write handled by one instance
 * reaches the in-memory entries of every other. {@link createMemoryBus} connects caches in one
 * process; `@ballast/cache-redis` (Redis pub/sub) and `@ballast/pg` (PostgreSQL
 * `LISTEN/NOTIFY`) implement the same methods across processes.
 *
 * The contract a cache relies on:
 * - `publish` resolves only after every subscriber it reports as `acknowledged` has applied
 *   the message, and rejects when the message could not be handed to the transport at all
 *   (the cache then keeps it and sends it again later);
 * - a subscriber that may have missed a message, for whatever reason, is told `reset` before
 *   it is told `connected` or given a later message.
 */
export interface InvalidationBus {
  /**
   * Sends a message to every subscriber, the sender's own included, and reports how many
   * received and applied it.
   */
  publish(message: InvalidationMessage, signal?: AbortSignal): Promise<PublishReport>

  /** Receives every message published from now on; the returned function unsubscribes. */
  subscribe(subscriber: BusSubscriber): () => void
}

/**
 * A bus inside one process: every cache created with it sees the others' invalidations,
 * applied before `publish` resolves. Useful for several caches over one source in one
 * process, and as the reference behaviour a shared transport must match.
 *
 * @example
 * ```ts
 * const bus = createMemoryBus()
 * const a = createCache({ bus })
 * const b = createCache({ bus })
 * await a.invalidate({ user: 42 }) // b's entries of user 42 are gone too
 * ```
 */
export function createMemoryBus(): InvalidationBus {
  const subscribers = new Set<BusSubscriber>()

  return {
    async publish(message) {
      const receivers = [...subscribers]
      for (const subscriber of receivers) subscriber.invalidate(message)

      return { receivers: receivers.length, acknowledged: receivers.length }
    },

    subscribe(subscriber) {
      subscribers.add(subscriber)

      return () => {
        subscribers.delete(subscriber)
      }
    },
  }
}

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
}

/**
 * Carries invalidations between cache instances, so that a write handled by one instance
 * reaches the in-memory entries of every other. Implementations exist for one process
 * ({@link createMemoryBus}); shared transports such as Redis pub/sub or PostgreSQL
 * `LISTEN/NOTIFY` implement the same two methods.
 */
export interface InvalidationBus {
  /**
   * Sends a message to every subscriber, the sender included. Resolves once the transport
   * accepted it; rejects when it could not be sent.
   */
  publish(message: InvalidationMessage): Promise<void>

  /** Receives every message published from now on; the returned function unsubscribes. */
  subscribe(listener: (message: InvalidationMessage) => void): () => void
}

/**
 * A bus inside one process: every cache created with it sees the others' invalidations.
 * Useful for several caches over one source in one process, and as the reference
 * implementation a shared transport must behave like.
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
  const listeners = new Set<(message: InvalidationMessage) => void>()

  return {
    async publish(message) {
      for (const listener of [...listeners]) listener(message)
    },

    subscribe(listener) {
      listeners.add(listener)

      return () => {
        listeners.delete(listener)
      }
    },
  }
}

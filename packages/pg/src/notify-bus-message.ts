/**
 * An invalidation as `@ballast/cache` sends it between instances. A structural copy of the
 * cache's `InvalidationMessage`, so this package needs no cache installed.
 */
export interface NotifyBusMessage {
  /** The sending cache's namespace. */
  readonly namespace: string
  /** The sending cache instance. */
  readonly origin: string
  /** Tags to invalidate. */
  readonly tags: readonly string[]
  /** Keys to invalidate. */
  readonly keys: readonly string[]
  /** `hard` or `soft`. */
  readonly mode: 'hard' | 'soft'
  /** When true, everything in the namespace. */
  readonly all?: boolean
}

/** What a publish learned: the cache's `PublishReport`. */
export interface NotifyBusReport {
  /** Members (live instances) the message was sent to, this one included. */
  readonly receivers: number
  /** Members that confirmed applying it. */
  readonly acknowledged: number
  /** The ids of the members that did not. */
  readonly missing: readonly string[]
}

/** What the bus calls on each cache subscribed to it: the cache's `BusSubscriber`. */
export interface NotifyBusSubscriber {
  /** Applies an invalidation from another instance. */
  invalidate(message: NotifyBusMessage): void
  /** Messages may have been missed: forget everything that could depend on them. */
  reset(reason: string): void
  /** The bus is listening again. */
  connected(): void
}

import type { InvalidationBus } from './bus'
import type { Clock } from './clock'
import { Propagation } from './propagation'
import type { SharedStore } from './store'
import { type Expiry, type Lifetimes, TieredLoad } from './tiered-load'

/** What {@link sharedTiers} needs from its cache. */
export interface SharedTiersOptions {
  readonly store: SharedStore | undefined
  readonly bus: InvalidationBus | undefined
  readonly namespace: string
  readonly maxPendingBytes: number
  readonly clock: Clock
  readonly expiry: (lifetimes: Lifetimes) => Expiry
  readonly report: (error: unknown, during: string) => void
}

/** The parts of a cache that reach past its own memory, to other instances. */
export interface SharedTiers {
  /** Present with a store or a bus: carries invalidations to them, with an outbox. */
  readonly propagation: Propagation | undefined
  /** Present with a store: loads through it on a memory miss. */
  readonly tier: TieredLoad | undefined
}

/** Builds the parts a cache needs for the store and the bus it was given, if any. */
export function sharedTiers(options: SharedTiersOptions): SharedTiers {
  const { store, bus, report } = options
  const propagation =
    store === undefined && bus === undefined
      ? undefined
      : new Propagation({ store, bus, maxPendingBytes: options.maxPendingBytes, report })
  const tier =
    store === undefined || propagation === undefined
      ? undefined
      : new TieredLoad({
          store,
          namespace: options.namespace,
          clock: options.clock,
          propagation,
          expiry: options.expiry,
          report,
        })

  return { propagation, tier }
}

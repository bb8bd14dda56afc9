import {
  type BusSubscriber,
  createMemoryBus,
  createMemoryStore,
  type InvalidationBus,
  type InvalidationMessage,
  type MemoryStoreOptions,
  type PublishReport,
  type SharedStore,
} from '@ballast/cache'

/** A memory store whose calls fail while `down` is set. */
export class FlakyStore implements SharedStore {
  down = false
  readonly invalidations: InvalidationMessage[] = []
  readonly #store: SharedStore

  constructor(options?: MemoryStoreOptions) {
    this.#store = createMemoryStore(options)
  }

  read(...args: Parameters<SharedStore['read']>) {
    return this.#guard(() => this.#store.read(...args))
  }

  write(...args: Parameters<SharedStore['write']>) {
    return this.#guard(() => this.#store.write(...args))
  }

  invalidate(message: InvalidationMessage) {
    return this.#guard(() => {
      this.invalidations.push(message)
      return this.#store.invalidate(message)
    })
  }

  #guard<T>(call: () => Promise<T>): Promise<T> {
    return this.down ? Promise.reject(new Error('store down')) : call()
  }
}

/**
 * A memory bus whose publishes fail while `down` is set, which can report receivers that did
 * not confirm, and which can tell its subscribers to reset or that it is connected again.
 */
export class FlakyBus implements InvalidationBus {
  down = false
  /** Receivers to report as delivered to but not confirming. */
  silent: readonly string[] = []
  readonly published: InvalidationMessage[] = []
  readonly #bus = createMemoryBus()
  readonly #subscribers = new Set<BusSubscriber>()

  async publish(message: InvalidationMessage): Promise<PublishReport> {
    if (this.down) throw new Error('bus down')

    this.published.push(message)
    const report = await this.#bus.publish(message)
    if (this.silent.length === 0) return report

    return {
      receivers: report.receivers + this.silent.length,
      acknowledged: report.acknowledged,
      missing: this.silent,
    }
  }

  subscribe(subscriber: BusSubscriber): () => void {
    this.#subscribers.add(subscriber)
    const unsubscribe = this.#bus.subscribe(subscriber)

    return () => {
      this.#subscribers.delete(subscriber)
      unsubscribe()
    }
  }

  /** Comes back up: every subscriber resets, then hears it is connected. */
  reconnect(): void {
    this.down = false
    for (const subscriber of this.#subscribers) subscriber.reset('reconnected')
    for (const subscriber of this.#subscribers) subscriber.connected()
  }
}

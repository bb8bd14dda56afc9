import { describeValue } from './describeValue'

/** The part of a pino-compatible logger the package uses. */
export interface TimingLogger {
  /** Logs a warning with structured fields. */
  warn(obj: object, msg?: string): void
}

type Listener<T> = (event: T) => void

/**
 * A small typed event emitter. A listener that throws is reported to the
 * logger and never reaches the code that emitted. Emitters on hot paths call
 * `has()` first so nobody pays for an event object nobody reads.
 */
export class Emitter<Events extends object> {
  readonly #owner: string
  readonly #names: ReadonlySet<string>
  readonly #logger: TimingLogger | undefined
  #listeners: { [E in keyof Events]?: readonly Listener<Events[E]>[] } = {}

  constructor(owner: string, names: readonly (keyof Events & string)[], logger?: TimingLogger) {
    this.#owner = owner
    this.#names = new Set(names)
    this.#logger = logger
  }

  on<E extends keyof Events & string>(event: E, listener: Listener<Events[E]>): () => void {
    if (!this.#names.has(event)) {
      const known = [...this.#names].join(', ')
      throw new TypeError(
        `${this.#owner}.on: event must be one of ${known}, received ${describeValue(event)}`,
      )
    }
    if (typeof listener !== 'function') {
      throw new TypeError(
        `${this.#owner}.on: listener must be a function, received ${describeValue(listener)}`,
      )
    }

    // Copy on write: an emit in progress keeps the array it started with.
    this.#listeners[event] = [...(this.#listeners[event] ?? []), listener]
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      const listeners = this.#listeners[event] ?? []
      const index = listeners.indexOf(listener)
      if (index !== -1) this.#listeners[event] = listeners.toSpliced(index, 1)
    }
  }

  has(event: keyof Events): boolean {
    return (this.#listeners[event]?.length ?? 0) > 0
  }

  emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    const listeners = this.#listeners[event]
    if (listeners === undefined) return

    for (const listener of listeners) {
      try {
        listener(payload)
      } catch (error) {
        this.#logger?.warn({ err: error, event }, `${this.#owner} ${event} listener threw`)
      }
    }
  }
}

import { type BreakerLogger, describe } from './options'

/**
 * A small typed event emitter. Listener lists are replaced rather than mutated,
 * so a listener may unsubscribe during an emit, and hot paths read
 * `lists[event].length` before building an event object.
 */
export class Emitter<E extends object> {
  /** Current listeners per event; never mutated in place. */
  readonly lists: { [K in keyof E]: ReadonlyArray<(event: E[K]) => void> }

  private readonly label: string
  private readonly logger: BreakerLogger | undefined

  /** `label` names the owner in error messages, e.g. `'breaker'` gives `'breaker.on: ...'`. */
  constructor(label: string, names: ReadonlyArray<keyof E>, logger: BreakerLogger | undefined) {
    const lists = {} as { [K in keyof E]: ReadonlyArray<(event: E[K]) => void> }
    for (const name of names) lists[name] = []
    this.lists = lists
    this.label = label
    this.logger = logger
  }

  /** Subscribes `listener` to `event`; returns a function that unsubscribes it. */
  on<K extends keyof E>(event: K, listener: (event: E[K]) => void): () => void {
    if (typeof event !== 'string' || !Object.hasOwn(this.lists, event)) {
      const names = Object.keys(this.lists).join(', ')
      throw new TypeError(
        `${this.label}.on: event must be one of ${names}, received ${describe(event)}`,
      )
    }
    if (typeof listener !== 'function') {
      throw new TypeError(
        `${this.label}.on: listener must be a function, received ${describe(listener)}`,
      )
    }
    this.lists[event] = [...this.lists[event], listener]

    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      const index = this.lists[event].indexOf(listener)
      this.lists[event] = this.lists[event].toSpliced(index, 1)
    }
  }

  /** Number of listeners of `event`. */
  count(event: keyof E): number {
    return this.lists[event].length
  }

  /** Calls every listener of `event`; a listener that throws is reported and skipped. */
  emit<K extends keyof E>(event: K, payload: E[K]): void {
    for (const listener of this.lists[event]) {
      try {
        listener(payload)
      } catch (error) {
        this.report(error, event)
      }
    }
  }

  private report(error: unknown, event: keyof E): void {
    try {
      this.logger?.warn({ err: error, event }, 'breaker event listener threw')
    } catch {
      // A logger that throws must not break the call that emitted the event
      // either.
    }
  }
}

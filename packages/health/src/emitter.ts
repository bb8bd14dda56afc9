import { describe } from './describe'
import type { HealthLogger } from './logger'

/**
 * A small typed event emitter. Listener lists are replaced rather than
 * mutated, so a listener may unsubscribe during an emit, and callers read
 * `count(event)` before building an event object nobody would receive.
 */
export class Emitter<E extends object> {
  private readonly lists: { [K in keyof E]: ReadonlyArray<(event: E[K]) => void> }
  private readonly logger: HealthLogger | undefined

  constructor(names: ReadonlyArray<keyof E>, logger: HealthLogger | undefined) {
    const lists = {} as { [K in keyof E]: ReadonlyArray<(event: E[K]) => void> }
    for (const name of names) lists[name] = []
    this.lists = lists
    this.logger = logger
  }

  /** Subscribes `listener` to `event`; returns a function that unsubscribes it. */
  on<K extends keyof E>(event: K, listener: (event: E[K]) => void): () => void {
    if (typeof event !== 'string' || !Object.hasOwn(this.lists, event)) {
      const names = Object.keys(this.lists).join(', ')
      throw new TypeError(`health.on: event must be one of ${names}, received ${describe(event)}`)
    }
    if (typeof listener !== 'function') {
      throw new TypeError(`health.on: listener must be a function, received ${describe(listener)}`)
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
      this.logger?.warn({ err: error, event }, 'health event listener threw')
    } catch {
      // A logger that throws must not break the step that emitted the event.
    }
  }
}

/**
 * A small typed event emitter. Listener lists are replaced rather than changed in place, so
 * a listener may unsubscribe while an event is being emitted; a listener that throws is
 * skipped, and the others still run.
 */
export class Emitter<Events extends object> {
  readonly #lists = new Map<keyof Events, ReadonlyArray<(event: never) => void>>()

  /** Adds a listener of `name`; the returned function removes it. */
  on<Name extends keyof Events>(name: Name, listener: (event: Events[Name]) => void): () => void {
    if (typeof listener !== 'function') {
      throw new TypeError(`on: listener must be a function, received ${typeof listener}`)
    }
    this.#lists.set(name, [...(this.#lists.get(name) ?? []), listener])

    return () => {
      const remaining = (this.#lists.get(name) ?? []).filter((item) => item !== listener)
      this.#lists.set(name, remaining)
    }
  }

  /** Calls every listener of `name` with `event`. */
  emit<Name extends keyof Events>(name: Name, event: Events[Name]): void {
    const listeners = this.#lists.get(name) as
      | ReadonlyArray<(event: Events[Name]) => void>
      | undefined

    for (const listener of listeners ?? []) {
      try {
        listener(event)
      } catch {
        // A listener's failure is its own; the bus carries on.
      }
    }
  }
}

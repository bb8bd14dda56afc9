/** The events of a bus, by name. */
export interface NotifyBusEvents {
  /** Listening, the first time or again; the subscribers were reset. */
  listening: Record<string, never>
  /** The subscription was lost; the bus listens again on its own. */
  down: { readonly error: unknown }
  /** Something failed and the bus carried on. */
  error: { readonly error: unknown; readonly during: string }
}

/**
 * The listeners of a bus's events. Lists are replaced, never changed in place, so a
 * listener may stop listening while an event is emitted; a listener that throws is
 * skipped, and the others still hear the event.
 */
export class NotifyBusEmitter {
  readonly #listeners = new Map<keyof NotifyBusEvents, Array<(event: never) => void>>()

  /** Adds a listener of `name`; the returned function removes it. */
  on<Name extends keyof NotifyBusEvents>(
    name: Name,
    listener: (event: NotifyBusEvents[Name]) => void,
  ): () => void {
    this.#listeners.set(name, [...(this.#listeners.get(name) ?? []), listener])

    return () => {
      const remaining = (this.#listeners.get(name) ?? []).filter((item) => item !== listener)
      this.#listeners.set(name, remaining)
    }
  }

  /** Calls every listener of `name` with `event`. */
  emit<Name extends keyof NotifyBusEvents>(name: Name, event: NotifyBusEvents[Name]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        ;(listener as (event: NotifyBusEvents[Name]) => void)(event)
      } catch {
        // A listener's failure is its own; the bus carries on.
      }
    }
  }
}

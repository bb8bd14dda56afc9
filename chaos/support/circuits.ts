import { sleep } from './http'
import { circuitsOf, type Instance } from './instance'

/** When a breaker was first seen in a state, and what the report said about it then. */
export interface CircuitEvent {
  /** The breaker's name, `pg:<function>`. */
  readonly breaker: string
  /** `open`, `half-open` or `closed`. */
  readonly state: string
  /** Runner time (`performance.now()`) of the poll that first saw it. */
  readonly at: number
  /** Failures in the breaker's window when first seen open, from the report's output. */
  readonly failures: number | undefined
}

/** Polls an instance's health report and notes every change of a circuit's state. */
export interface CircuitWatch {
  /** Every change seen, in order. */
  readonly events: readonly CircuitEvent[]
  /** The states of the latest poll. */
  readonly current: ReadonlyMap<string, string>
  /** Runner time of the latest successful poll. */
  readonly polledAt: number
  /** Stops polling. */
  stop(): Promise<void>
}

/** Polls `GET /health-enhanced/system` every `intervalMs` until stopped. */
export function watchCircuits(instance: Instance, intervalMs = 250): CircuitWatch {
  const events: CircuitEvent[] = []
  let current = new Map<string, string>()
  let polledAt = 0
  let stopped = false

  const loop = (async () => {
    while (!stopped) {
      try {
        const report = await instance.report()
        const at = performance.now()
        const next = new Map<string, string>()
        for (const [breaker, { state, output }] of circuitsOf(report)) {
          next.set(breaker, state)
          if (current.get(breaker) !== state && !(state === 'closed' && !current.has(breaker))) {
            const failed = /(\d+) of \d+ calls failed/.exec(output)?.[1]
            events.push({
              breaker,
              state,
              at,
              failures: failed === undefined ? undefined : Number(failed),
            })
          }
        }
        current = next
        polledAt = at
      } catch {
        // A poll that failed (the process is going away) changes nothing.
      }
      await sleep(intervalMs)
    }
  })()

  return {
    events,
    get current() {
      return current
    },
    get polledAt() {
      return polledAt
    },
    async stop() {
      stopped = true
      await loop
    },
  }
}

/** Whether every breaker the latest poll saw is closed. */
export function allClosed(watch: CircuitWatch): boolean {
  return [...watch.current.values()].every((state) => state === 'closed')
}

import { CacheMissingValueError, isCacheMissingValueError } from './errors'
import type { Flight } from './flight'

/** Waits for a flight and records its value; keys the batch had no value for are skipped. */
export function collect<T>(flight: Flight<T>, found: Map<string, T>): Promise<void> {
  return flight.outcome.then(
    (outcome) => {
      found.set(flight.key, outcome.value)
    },
    (error: unknown) => {
      if (!isCacheMissingValueError(error)) throw error
    },
  )
}

/** The found values in the order the keys were asked for. */
export function inOrder<T>(keys: readonly string[], found: Map<string, T>): Map<string, T> {
  const ordered = new Map<string, T>()

  for (const key of keys) {
    if (found.has(key)) ordered.set(key, found.get(key) as T)
  }

  return ordered
}

/** The value of `key` in what a batch loader returned, or why there is none. */
export function pick(values: unknown, key: string): unknown {
  if (!(values instanceof Map)) {
    throw new TypeError(`getMany: loadMany must return a Map, received ${typeof values}`)
  }

  if (!values.has(key)) throw new CacheMissingValueError(key)

  return values.get(key)
}

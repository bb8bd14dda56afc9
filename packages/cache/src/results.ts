import type { Outcome } from './flight'
import type { CacheResult } from './types'

/** The value alone, for `get`. */
export function valueOfResult<T>(result: CacheResult<T>): T {
  return result.value
}

/** The result of the caller whose read started the load. */
export function asMiss<T>(outcome: Outcome<T>): CacheResult<T> {
  return {
    value: outcome.value,
    provenance: outcome.stale ? 'stale' : 'miss',
    ageMs: outcome.ageMs,
  }
}

/** The result of a caller that joined a load another read started. */
export function asCoalesced<T>(outcome: Outcome<T>): CacheResult<T> {
  const provenance = outcome.stale ? 'stale' : 'coalesced'

  return { value: outcome.value, provenance, ageMs: outcome.ageMs }
}

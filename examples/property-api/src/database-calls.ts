import type { BreakerRegistry } from '@ballast/breaker'
import { isCircuitOpenError } from '@ballast/breaker'
import type { FunctionClient } from '@ballast/pg'
import { isTimeoutError, withDeadline } from '@ballast/timing'
import { isDatabaseOutage } from './outage'

/** Calls the server's PostgreSQL functions the one safe way. */
export interface DatabaseCalls {
  /**
   * Calls the active version of function `name` with positional `args`, under the
   * function's breaker and the per-call deadline. Rejects with `CircuitOpenError` at once
   * while that function's circuit is open.
   */
  call<T>(name: string, args: readonly unknown[], signal?: AbortSignal): Promise<T>
}

/** What {@link createDatabaseCalls} wires together. */
export interface DatabaseCallsOptions {
  /** Resolves logical names to active versions. */
  readonly functions: FunctionClient
  /** One breaker per function, `pg:<name>`; its `isFailure` should count outages only. */
  readonly breakers: BreakerRegistry
  /**
   * The deadline of one call, in milliseconds. Shorter than the request's hard limit, so a
   * slow database leaves time to answer from a stale cache entry.
   */
  readonly timeoutMs: number
}

/**
 * The stacking every database call uses: the deadline inside the breaker, so a call that
 * times out counts as a failure of that function, and the breaker inside the cache loader
 * (at the call site), so an open circuit falls back to a stale entry instead of failing.
 */
export function createDatabaseCalls(options: DatabaseCallsOptions): DatabaseCalls {
  const { functions, breakers, timeoutMs } = options

  return {
    call<T>(name: string, args: readonly unknown[], signal?: AbortSignal): Promise<T> {
      // The database call takes no signal: `pg` cannot cancel a running statement through
      // one. The deadline still rejects on time, and the server's statement_timeout stops
      // the statement itself.
      const run = () => functions.call<T>(name, args)

      return breakers
        .get(`pg:${name}`)
        .execute((breakerSignal) => withDeadline(run, timeoutMs, { signal: breakerSignal }), signal)
        .catch(rethrowAsUnavailable)
    },
  }
}

/**
 * The database could not be reached or did not answer: a connection refused or dropped, a
 * shutdown, resources exhausted. The original error is the `cause`.
 */
export class DatabaseUnavailableError extends Error {
  /** Stable code of this error. */
  readonly code = 'PROPERTY_API_DATABASE_UNAVAILABLE'

  constructor(cause: unknown) {
    super('the database is unavailable', { cause })
    this.name = 'DatabaseUnavailableError'
  }
}

/** Open circuits and deadlines keep their own types; other outages become one type. */
function rethrowAsUnavailable(error: unknown): never {
  if (isCircuitOpenError(error) || isTimeoutError(error) || !isDatabaseOutage(error)) throw error

  throw new DatabaseUnavailableError(error)
}

/**
 * Decides whether an error counts as a failure of the dependency, using the
 * default rule.
 *
 * Every error counts, except:
 * - an error with an HTTP-like numeric `status` or `statusCode` from 400 to
 *   499, other than 408 (request timeout) and 429 (too many requests): the
 *   dependency answered, the request was wrong;
 * - an error whose `name` is `'ValidationError'`.
 *
 * Two rules sit above this function and above any `isFailure` option, in the
 * breaker itself: an error with `code` `'BALLAST_TIMEOUT'` always counts, and
 * an error thrown after the caller's own signal aborted never counts (the
 * caller gave up, the dependency did not fail). Compose with this function to
 * extend the default rather than replace it.
 *
 * @example
 * ```ts
 * const breaker = createBreaker({
 *   name: 'pg:get_properties',
 *   isFailure: (error) => defaultIsFailure(error) && !(error instanceof NotFound),
 * })
 * ```
 */
export function defaultIsFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true

  const { name, status, statusCode } = error as {
    name?: unknown
    status?: unknown
    statusCode?: unknown
  }
  if (name === 'ValidationError') return false

  return !isClientError(status) && !isClientError(statusCode)
}

/** Tells whether `error` carries the timing package's `'BALLAST_TIMEOUT'` code. */
export function isTimeoutCode(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'BALLAST_TIMEOUT'
  )
}

function isClientError(status: unknown): boolean {
  return (
    typeof status === 'number' && status >= 400 && status <= 499 && status !== 408 && status !== 429
  )
}

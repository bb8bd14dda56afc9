/**
 * The base class of every error `@ballast/cache` raises. Match on `code`, not on the class,
 * when a program may hold two copies of the package.
 */
export class CacheError extends Error {
  /** A stable identifier of the failure, safe to match on across versions. */
  readonly code: string

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CacheError'
    this.code = code
  }
}

/** Code of {@link CacheLoadTimeoutError}. */
export const CACHE_LOAD_TIMEOUT = 'BALLAST_CACHE_LOAD_TIMEOUT'

/**
 * A loader did not settle within `loadTimeoutMs`. Its signal was aborted with this error;
 * callers get a `stale` entry instead when one is inside the grace window.
 */
export class CacheLoadTimeoutError extends CacheError {
  /** The key whose load ran past its deadline. */
  readonly key: string

  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number

  constructor(key: string, timeoutMs: number) {
    super(CACHE_LOAD_TIMEOUT, `Loading cache key "${key}" took longer than ${timeoutMs} ms`)
    this.name = 'CacheLoadTimeoutError'
    this.key = key
    this.timeoutMs = timeoutMs
  }
}

/** Code of {@link CacheKeyError}. */
export const CACHE_INVALID_KEY = 'BALLAST_CACHE_INVALID_KEY'

/**
 * A key, tag, user id, entity name or operation name could not be used: it was empty, of the
 * wrong type, or contained a character that would make two different keys collide.
 */
export class CacheKeyError extends CacheError {
  constructor(message: string) {
    super(CACHE_INVALID_KEY, message)
    this.name = 'CacheKeyError'
  }
}

/** Whether `error` is a {@link CacheLoadTimeoutError}, from any copy of this package. */
export function isCacheLoadTimeoutError(error: unknown): error is CacheLoadTimeoutError {
  return hasCode(error, CACHE_LOAD_TIMEOUT)
}

/** Whether `error` is a {@link CacheKeyError}, from any copy of this package. */
export function isCacheKeyError(error: unknown): error is CacheKeyError {
  return hasCode(error, CACHE_INVALID_KEY)
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code
}

/** Code of {@link CacheMissingValueError}. */
export const CACHE_MISSING_VALUE = 'BALLAST_CACHE_MISSING_VALUE'

/**
 * A batch loader given to `getMany` returned no value for a key. `getMany` leaves such keys
 * out of its result; a `get` of the same key that joined the batch load rejects with this.
 */
export class CacheMissingValueError extends CacheError {
  /** The key the batch loader did not return. */
  readonly key: string

  constructor(key: string) {
    super(CACHE_MISSING_VALUE, `The batch loader returned no value for cache key "${key}"`)
    this.name = 'CacheMissingValueError'
    this.key = key
  }
}

/** Whether `error` is a {@link CacheMissingValueError}, from any copy of this package. */
export function isCacheMissingValueError(error: unknown): error is CacheMissingValueError {
  return hasCode(error, CACHE_MISSING_VALUE)
}

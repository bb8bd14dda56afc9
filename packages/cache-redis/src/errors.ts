/**
 * The base class of every error `@ballast/cache-redis` raises. Match on `code`, not on the
 * class, when a program may hold two copies of the package.
 */
export class CacheRedisError extends Error {
  /** A stable identifier of the failure, safe to match on across versions. */
  readonly code: string

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CacheRedisError'
    this.code = code
  }
}

/** Code of {@link RedisUnavailableError}. */
export const REDIS_UNAVAILABLE = 'BALLAST_CACHE_REDIS_UNAVAILABLE'

/**
 * A Redis call could not be made or did not answer: the connection was not ready (so the
 * call was refused at once rather than queued), the call passed its deadline, or Redis
 * answered with an error (`cause`). The cache treats a failed read as a miss, reports a
 * failed write, and keeps a failed invalidation in its outbox.
 */
export class RedisUnavailableError extends CacheRedisError {
  /** What was attempted: `read`, `write`, `invalidate`, `publish`, and so on. */
  readonly operation: string

  constructor(operation: string, reason: string, options?: ErrorOptions) {
    super(REDIS_UNAVAILABLE, `Redis ${operation} failed: ${reason}`, options)
    this.name = 'RedisUnavailableError'
    this.operation = operation
  }
}

/** Code of {@link RedisClosedError}. */
export const REDIS_CLOSED = 'BALLAST_CACHE_REDIS_CLOSED'

/** The bus was closed; it publishes nothing more. */
export class RedisClosedError extends CacheRedisError {
  constructor(operation: string) {
    super(REDIS_CLOSED, `Redis ${operation} failed: the bus is closed`)
    this.name = 'RedisClosedError'
  }
}

/** Whether `error` is a {@link RedisUnavailableError}, from any copy of this package. */
export function isRedisUnavailableError(error: unknown): error is RedisUnavailableError {
  return hasCode(error, REDIS_UNAVAILABLE)
}

/** Whether `error` is a {@link RedisClosedError}, from any copy of this package. */
export function isRedisClosedError(error: unknown): error is RedisClosedError {
  return hasCode(error, REDIS_CLOSED)
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && Reflect.get(error, 'code') === code
}

import type { PublishReport } from './bus'
import { CacheError } from './errors'

/** Code of {@link CacheInvalidationPendingError}. */
export const CACHE_INVALIDATION_PENDING = 'BALLAST_CACHE_INVALIDATION_PENDING'

/**
 * `invalidate()` could not reach the shared store or the bus. The invalidation was applied to
 * this instance, is kept in its outbox and is delivered as soon as the connection returns;
 * until then, other instances may still serve what it invalidated. `cause` is the transport's
 * error.
 */
export class CacheInvalidationPendingError extends CacheError {
  /** The tags that were invalidated. */
  readonly tags: readonly string[]

  /** The keys that were invalidated. */
  readonly keys: readonly string[]

  constructor(tags: readonly string[], keys: readonly string[], cause: unknown) {
    super(
      CACHE_INVALIDATION_PENDING,
      'The invalidation was applied here but could not reach the other instances yet; ' +
        'it will be delivered when the connection returns',
      { cause },
    )
    this.name = 'CacheInvalidationPendingError'
    this.tags = tags
    this.keys = keys
  }
}

/** Code of {@link CacheInvalidationUnconfirmedError}. */
export const CACHE_INVALIDATION_UNCONFIRMED = 'BALLAST_CACHE_INVALIDATION_UNCONFIRMED'

/**
 * The bus delivered the invalidation but not every receiver confirmed that it applied it in
 * time. It was applied here and in the shared store; a receiver that did not confirm may
 * still serve old entries from memory until it applies the message or, having lost its
 * connection, resynchronises on reconnecting.
 */
export class CacheInvalidationUnconfirmedError extends CacheError {
  /** How many subscriptions the message was delivered to. */
  readonly receivers: number

  /** How many confirmed. */
  readonly acknowledged: number

  /** Ids of those that did not, when the bus knows them; otherwise empty. */
  readonly missing: readonly string[]

  constructor(report: PublishReport) {
    const missing = report.missing ?? []
    const names = missing.length === 0 ? '' : ` (missing: ${missing.join(', ')})`
    super(
      CACHE_INVALIDATION_UNCONFIRMED,
      `${report.acknowledged} of ${report.receivers} receivers confirmed the invalidation${names}`,
    )
    this.name = 'CacheInvalidationUnconfirmedError'
    this.receivers = report.receivers
    this.acknowledged = report.acknowledged
    this.missing = missing
  }
}

/** Whether `error` is a {@link CacheInvalidationPendingError}, from any copy of this package. */
export function isCacheInvalidationPendingError(
  error: unknown,
): error is CacheInvalidationPendingError {
  return error instanceof Error && Reflect.get(error, 'code') === CACHE_INVALIDATION_PENDING
}

/** Whether `error` is a {@link CacheInvalidationUnconfirmedError}, from any package copy. */
export function isCacheInvalidationUnconfirmedError(
  error: unknown,
): error is CacheInvalidationUnconfirmedError {
  return error instanceof Error && Reflect.get(error, 'code') === CACHE_INVALIDATION_UNCONFIRMED
}

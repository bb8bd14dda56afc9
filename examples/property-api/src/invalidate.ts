import {
  type InvalidationTarget,
  isCacheInvalidationPendingError,
  isCacheInvalidationUnconfirmedError,
} from '@ballast/cache'
import type { FastifyBaseLogger } from 'fastify'
import type { Services } from './services'

/**
 * Invalidates after a committed write. This instance is invalidated at once in every case;
 * what can fail is the propagation to the others. When Redis or the bus is unreachable the
 * cache keeps the invalidation in its outbox and delivers it when the connection returns,
 * and when another instance did not confirm in time it will reset itself once it notices
 * the gap. Either way the write is committed, so it is answered as a success and the
 * condition is logged; failing the request would tell the client a committed write did not
 * happen.
 */
export async function invalidateEverywhere(
  services: Services,
  log: FastifyBaseLogger,
  target: InvalidationTarget,
): Promise<void> {
  try {
    await services.cache.invalidate(target)
  } catch (error) {
    if (isCacheInvalidationPendingError(error)) {
      log.warn({ err: error }, 'invalidation is waiting to reach the other instances')
    } else if (isCacheInvalidationUnconfirmedError(error)) {
      log.warn({ err: error }, 'another instance did not confirm an invalidation in time')
    } else {
      throw error
    }
  }
}

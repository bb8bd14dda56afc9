import type { InvalidationTarget } from '@ballast/cache'
import { isTimeoutError } from '@ballast/timing'
import type { FastifyBaseLogger } from 'fastify'
import { DatabaseUnavailableError } from './database-calls'
import { invalidateEverywhere } from './invalidate'
import type { Services } from './services'

/**
 * Runs a write and then invalidates what it changed, before the answer goes out, so the
 * landlord's next read sees the write. `tagsOf` names the tags from the write's result; a
 * `null` result (nothing was written: the row is not theirs) invalidates nothing.
 *
 * When the write's outcome is unknown (the deadline passed or the connection dropped after
 * the statement was sent, so it may still commit), the landlord's whole cache is dropped:
 * the answer is a 503, but a read that follows must not show data older than a write that
 * might have happened. Other landlords are untouched.
 */
export async function write<T>(
  services: Services,
  log: FastifyBaseLogger,
  landlordId: number,
  run: () => Promise<T | null>,
  tagsOf: (result: T) => readonly string[],
): Promise<T | null> {
  let result: T | null

  try {
    result = await run()
  } catch (error) {
    if (isTimeoutError(error) || error instanceof DatabaseUnavailableError) {
      await invalidateEverywhere(services, log, { user: landlordId })
    }
    throw error
  }

  if (result !== null) {
    const target: InvalidationTarget = { tags: [...new Set(tagsOf(result))] }
    await invalidateEverywhere(services, log, target)
  }

  return result
}

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
 * When the write's outcome is unknown (the deadline passed or the connection dropped, so it
 * may still commit), the landlord's entries are invalidated softly: the answer is a 503, and
 * no read that follows serves as fresh data older than a write that might have happened,
 * yet while the database is failing those reads still answer, flagged `X-Cache: stale`.
 * Dropping the entries instead would turn every read of that landlord into an error for the
 * rest of an outage. Other landlords are untouched.
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
      await invalidateEverywhere(services, log, { user: landlordId, mode: 'soft' })
    }
    throw error
  }

  if (result !== null) {
    const target: InvalidationTarget = { tags: [...new Set(tagsOf(result))] }
    await invalidateEverywhere(services, log, target)
  }

  return result
}

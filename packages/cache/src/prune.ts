import type { Entries } from './entries'
import type { Flight } from './flight'
import type { TagVersions } from './tag-versions'

/** Below this many recorded tag versions, old versions are never pruned. */
export const PRUNE_FLOOR = 10_000

/**
 * Keeps the table of tag versions from growing without bound when many distinct tags are
 * invalidated (one per user, say). Versions older than every live entry and load can no
 * longer change a verdict and are dropped; entries found hard-invalidated on the way are
 * reclaimed. The scan is linear in the entries held; the caller runs it only when the table
 * has doubled since the last one, so its cost per invalidation stays constant on average.
 *
 * Returns the table size past which the next prune is due.
 */
export function pruneTagVersions(
  entries: Entries,
  flights: ReadonlyMap<string, Flight<unknown>>,
  versions: TagVersions,
): number {
  let oldest = versions.sequence
  const unusable: string[] = []

  for (const [key, entry] of entries.memory.entries()) {
    if (!entries.canFallBack(entry)) unusable.push(key)
    else if (entry.sequence < oldest) oldest = entry.sequence
  }

  for (const flight of flights.values()) {
    if (flight.sequence < oldest) oldest = flight.sequence
  }

  for (const key of unusable) entries.memory.delete(key)

  versions.forgetBefore(oldest)

  return Math.max(PRUNE_FLOOR, versions.size * 2)
}

import { type CallTarget, createTarget, targetIdentity } from './call-target'
import { isFunctionName } from './identifiers'
import type { Queryable } from './queryable'
import { readVersions } from './registry'

/** The callable versions of one function, as a function client holds them. */
export interface FunctionEntry {
  /** The active version, if any. */
  readonly active: number | undefined
  /** Every callable (not pruned) version. */
  readonly versions: ReadonlyMap<number, CallTarget>
}

/** Callable versions by logical function name. */
export type VersionMap = ReadonlyMap<string, FunctionEntry>

/**
 * Reads the registry into a map of call targets. A target whose definition is unchanged
 * since `previous` is carried over, with the SQL texts it has built.
 */
export async function loadVersionMap(
  db: Queryable,
  schema: string,
  previous: VersionMap | undefined,
): Promise<VersionMap> {
  const versions = await readVersions(db, schema)
  const map = new Map<string, { active: number | undefined; versions: Map<number, CallTarget> }>()

  for (const v of versions) {
    // Names were checked when deployed; a row written by other means is not trusted.
    if (v.droppedAt !== null || !isFunctionName(v.name)) continue
    let entry = map.get(v.name)
    if (!entry) {
      entry = { active: undefined, versions: new Map() }
      map.set(v.name, entry)
    }
    if (v.status === 'active') entry.active = v.version

    const known = previous?.get(v.name)?.versions.get(v.version)
    const reuse = known !== undefined && known.identity === targetIdentity(v)
    entry.versions.set(v.version, reuse ? known : createTarget(v))
  }
  return map
}

/** Active versions by function name, for the `refresh` event. */
export function activeVersions(map: VersionMap): Record<string, number> {
  const active: Record<string, number> = {}
  for (const [name, entry] of map) if (entry.active !== undefined) active[name] = entry.active
  return active
}

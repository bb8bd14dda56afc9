import { createHash } from 'node:crypto'
import { entityTag, entityTypeTag, tagsForWrite, userEntityTag, userKey } from '@ballast/cache'

/**
 * Which cache key and tags each read uses, and which tags each write invalidates. Keeping
 * them side by side in one file is what makes the invalidation reviewable: every read's
 * tags must be reached by every write that changes what the read returns, and by nothing
 * else.
 *
 * - A landlord's lists and dashboard are tagged `user:{id}:property` and `user:{id}:unit`,
 *   so creating, changing or deleting their property or unit reaches them, and no other
 *   landlord's entries.
 * - A property's detail and its unit list are tagged `property:{id}`, which the writes of
 *   that property and of its units reach.
 * - Every entry is also tagged with the database function that produced it, so activating
 *   another version of a function drops what the old version computed.
 */

/** A cache key with the tags to store its entry under. */
export interface CachedRead {
  readonly key: string
  readonly tags: readonly string[]
}

// Keys spell their integer parameters out (`…:properties:list:l20:o0`) rather than hashing
// them as `userKey(user, operation, params)` would: the schemas make them integers, so the
// text cannot be ambiguous, and it saves a SHA-256 on every read.

/** One page of a landlord's properties. */
export function propertiesListRead(landlord: number, limit: number, offset: number): CachedRead {
  return {
    key: userKey(landlord, `properties:list:l${limit}:o${offset}`),
    tags: [
      userEntityTag(landlord, 'property'),
      userEntityTag(landlord, 'unit'),
      functionTag('list_properties'),
    ],
  }
}

/** One property with its unit summary. */
export function propertyRead(landlord: number, property: number): CachedRead {
  return {
    key: userKey(landlord, `property:detail:p${property}`),
    tags: [entityTag('property', property), functionTag('get_property')],
  }
}

/** The units of one property. */
export function unitsListRead(landlord: number, property: number): CachedRead {
  return {
    key: userKey(landlord, `units:list:p${property}`),
    tags: [entityTag('property', property), functionTag('list_units')],
  }
}

/** A landlord's portfolio dashboard. */
export function dashboardRead(landlord: number): CachedRead {
  return {
    key: userKey(landlord, 'dashboard'),
    tags: [
      userEntityTag(landlord, 'property'),
      userEntityTag(landlord, 'unit'),
      functionTag('portfolio_dashboard'),
    ],
  }
}

/**
 * The landlord a bearer token belongs to. The key holds a digest of the token, never the
 * token itself, so keys that reach logs, metrics or a shared tier do not leak credentials.
 */
export function tokenRead(token: string): CachedRead {
  let read = recentTokens.get(token)
  if (read !== undefined) return read

  const digest = createHash('sha256').update(token).digest('base64url')
  read = { key: `token:${digest}`, tags: TOKEN_TAGS }

  // Hashing every request's token costs more than the cache hit it leads to, so the digests
  // of recent tokens are kept. The table holds tokens only as long as they keep arriving,
  // and never more than RECENT_TOKENS of them.
  if (recentTokens.size >= RECENT_TOKENS) recentTokens.clear()
  recentTokens.set(token, read)

  return read
}

const RECENT_TOKENS = 10_000
const recentTokens = new Map<string, CachedRead>()
const TOKEN_TAGS: readonly string[] = [functionTag('authenticate')]

/** Tags a property write invalidates: the landlord's lists and, unless new, the property. */
export function propertyWriteTags(
  kind: 'create' | 'update' | 'delete',
  landlord: number,
  property?: number,
): string[] {
  return tagsForWrite(`property:${kind}`, { user: landlord, id: property })
}

/** Tags a unit write invalidates: the landlord's lists, the unit and its property. */
export function unitWriteTags(
  kind: 'create' | 'update' | 'delete',
  landlord: number,
  property: number,
  unit?: number,
): string[] {
  return tagsForWrite(`unit:${kind}`, {
    user: landlord,
    id: unit,
    parents: [{ entity: 'property', id: property }],
  })
}

/** The tag of every entry a database function produced. */
export function functionTag(name: string): string {
  return entityTypeTag(`fn_${name}`)
}

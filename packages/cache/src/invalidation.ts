import { CacheKeyError } from './errors'
import { entityTag, entityTypeTag, type Id, userEntityTag, userTag } from './keys'

/**
 * `hard` (the default) makes the reached entries unusable: they are never served again, not
 * even as a fallback. `soft` only ends their freshness: the next read loads again, but if
 * that load fails, the old entry may still be served, flagged `stale`, inside its grace
 * window. Use soft invalidation for "the source changed, but old data beats no data during
 * an outage"; use hard invalidation after a user's own write, so they never see the old value.
 */
export type InvalidationMode = 'hard' | 'soft'

/**
 * What to invalidate. Fields combine as follows, and every field given is applied:
 * - `user` alone: every entry of that user (`user:{id}`);
 * - `user` and `entity`: that user's views of the entity type (`user:{id}:{entity}`);
 * - `entity` and `id`: that entity wherever cached (`{entity}:{id}`);
 * - `entity` alone: every entry about the entity type, for all users (`{entity}`);
 * - `tag` / `tags`: those tags as given; `key` / `keys`: those keys.
 */
export interface InvalidationTarget {
  /** A user whose entries are reached. */
  readonly user?: Id
  /** An entity type; narrowed by `user` or `id` when given. */
  readonly entity?: string
  /** An entity id; requires `entity`. */
  readonly id?: Id
  /** One tag. */
  readonly tag?: string
  /** Several tags. */
  readonly tags?: readonly string[]
  /** One key. */
  readonly key?: string
  /** Several keys. */
  readonly keys?: readonly string[]
  /**
   * Whether reached entries may still serve as a stale fallback.
   * @defaultValue `'hard'`
   */
  readonly mode?: InvalidationMode
}

/** A target reduced to the tags and keys it names. */
export interface ResolvedInvalidation {
  readonly tags: string[]
  readonly keys: string[]
  readonly mode: InvalidationMode
}

/** Reduces a target to tags and keys, rejecting targets that name nothing or are malformed. */
export function resolveInvalidation(target: InvalidationTarget): ResolvedInvalidation {
  if (target === null || typeof target !== 'object') {
    throw new CacheKeyError(`invalidate: expected a target object, received ${String(target)}`)
  }

  const tags: string[] = []
  const keys: string[] = []

  if (target.id !== undefined && target.entity === undefined) {
    throw new CacheKeyError('invalidate: an id needs its entity type, received only id')
  }

  if (target.user !== undefined) {
    tags.push(
      target.entity === undefined || target.id !== undefined
        ? userTag(target.user)
        : userEntityTag(target.user, target.entity),
    )
  }

  if (target.entity !== undefined) {
    if (target.id !== undefined) tags.push(entityTag(target.entity, target.id))
    else if (target.user === undefined) tags.push(entityTypeTag(target.entity))
  }

  for (const tag of listOf(target.tag, target.tags)) tags.push(checkString(tag, 'tag'))
  for (const key of listOf(target.key, target.keys)) keys.push(checkString(key, 'key'))

  if (tags.length === 0 && keys.length === 0) {
    throw new CacheKeyError('invalidate: the target names no user, entity, tag or key')
  }

  const mode = target.mode ?? 'hard'
  if (mode !== 'hard' && mode !== 'soft') {
    throw new CacheKeyError(`invalidate: mode must be "hard" or "soft", received ${String(mode)}`)
  }

  return { tags, keys, mode }
}

function listOf(one: string | undefined, many: readonly string[] | undefined): readonly string[] {
  if (one === undefined) return many ?? []

  return many === undefined ? [one] : [one, ...many]
}

function checkString(value: unknown, what: string): string {
  if (typeof value === 'string' && value.length > 0) return value

  throw new CacheKeyError(`invalidate: ${what} must be a non-empty string, received ${value}`)
}

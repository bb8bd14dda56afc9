import { createHash } from 'node:crypto'
import { CacheKeyError } from './errors'

/**
 * Builders for the conventional keys and tags. Every part is validated so that two different
 * inputs can never produce the same string: ids may not contain `:`, which separates parts,
 * and parameters are hashed from a canonical encoding in which key order does not matter.
 */

/** An id of a user or an entity: a non-negative safe integer or a string without `:`. */
export type Id = string | number

const ID_PATTERN = /^[A-Za-z0-9_.@-]{1,128}$/
const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/
const OPERATION_PATTERN = /^[a-z][a-z0-9_-]{0,63}(:[a-z][a-z0-9_-]{0,63}){0,7}$/

/**
 * The key of a user's cached result: `user:{id}:{operation}`, followed by `:{hash}` of the
 * parameters when there are any. Entries stored under such a key are always tagged with
 * {@link userTag} of that user, so `invalidate({ user })` reaches them even when the caller
 * forgot the tag.
 *
 * @param userId - Whose data the entry holds.
 * @param operation - What was read, as lower-case words joined by `:` (`properties:list`).
 * @param params - What the read depended on besides the user (page, filters); hashed.
 * @example
 * ```ts
 * userKey(42, 'properties:list', { page: 2 }) // 'user:42:properties:list:Zk3…'
 * ```
 */
export function userKey(userId: Id, operation: string, params?: unknown): string {
  const base = `user:${checkId(userId, 'userId')}:${checkOperation(operation)}`

  return params === undefined ? base : `${base}:${hashParams(params)}`
}

/** The tag every entry of one user carries: `user:{id}`. */
export function userTag(userId: Id): string {
  return `user:${checkId(userId, 'userId')}`
}

/**
 * The tag of one user's view of one entity type, such as their property lists and the
 * dashboard built from them: `user:{id}:{entity}`. Creating an entity invalidates this tag
 * and nothing wider.
 */
export function userEntityTag(userId: Id, entity: string): string {
  return `user:${checkId(userId, 'userId')}:${checkName(entity, 'entity')}`
}

/** The tag of one entity wherever it is cached: `{entity}:{id}`. */
export function entityTag(entity: string, id: Id): string {
  return `${checkName(entity, 'entity')}:${checkId(id, 'id')}`
}

/** The tag of every cached result about an entity type, for all users: `{entity}`. */
export function entityTypeTag(entity: string): string {
  return checkName(entity, 'entity')
}

/** The kinds of write {@link tagsForWrite} understands. */
export type WriteKind = 'create' | 'update' | 'delete'

/** What a write touched, for {@link tagsForWrite}. */
export interface WriteTarget {
  /** The user who owns the written entity. */
  readonly user: Id
  /** The written entity's id; required for `update` and `delete`. */
  readonly id?: Id
  /**
   * Entities whose cached views include the written one, such as the property a unit
   * belongs to: their entity tags are invalidated too.
   */
  readonly parents?: ReadonlyArray<{ readonly entity: string; readonly id: Id }>
}

/**
 * The smallest set of tags a write affects, under the conventions of this module:
 * - `{entity}:create` changes that user's lists of the entity type (and whatever is built
 *   from them): `user:{user}:{entity}`.
 * - `{entity}:update` and `{entity}:delete` also change the entity's own views:
 *   `{entity}:{id}`.
 * - Each parent adds `{parent}:{parentId}`.
 *
 * Nothing of other users is included, so their entries stay hits.
 *
 * @example
 * ```ts
 * tagsForWrite('property:create', { user: 42 })          // ['user:42:property']
 * tagsForWrite('unit:update', { user: 42, id: 9, parents: [{ entity: 'property', id: 7 }] })
 * // ['user:42:unit', 'unit:9', 'property:7']
 * ```
 */
export function tagsForWrite(event: `${string}:${WriteKind}`, target: WriteTarget): string[] {
  const separator = event.lastIndexOf(':')
  const entity = event.slice(0, separator)
  const kind = event.slice(separator + 1)

  if (kind !== 'create' && kind !== 'update' && kind !== 'delete') {
    throw new CacheKeyError(
      `tagsForWrite: event must end in :create, :update or :delete, received "${event}"`,
    )
  }

  const tags = [userEntityTag(target.user, entity)]

  if (kind !== 'create') {
    if (target.id === undefined) {
      throw new CacheKeyError(`tagsForWrite: "${event}" needs the written entity's id`)
    }
    tags.push(entityTag(entity, target.id))
  }

  for (const parent of target.parents ?? []) {
    tags.push(entityTag(parent.entity, parent.id))
  }

  return tags
}

/**
 * A short, collision-resistant digest of `params`: SHA-256 over a canonical JSON encoding
 * (object keys sorted), truncated to 128 bits and written in base64url.
 */
export function hashParams(params: unknown): string {
  return createHash('sha256').update(canonicalJson(params)).digest('base64url').slice(0, 22)
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return `${value}n`
    if (value === undefined) return 'null'
    return JSON.stringify(value)
  }

  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`
  }

  const record = value as Record<string, unknown>
  const parts = Object.keys(record)
    .filter((name) => record[name] !== undefined)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`)

  return `{${parts.join(',')}}`
}

function checkId(id: Id, what: string): string {
  if (typeof id === 'number') {
    if (Number.isSafeInteger(id) && id >= 0) return String(id)
  } else if (typeof id === 'string' && ID_PATTERN.test(id)) {
    return id
  }

  throw new CacheKeyError(
    `${what} must be a non-negative safe integer or 1-128 characters of [A-Za-z0-9_.@-], ` +
      `received ${describe(id)}`,
  )
}

function checkName(name: string, what: string): string {
  if (typeof name === 'string' && NAME_PATTERN.test(name)) return name

  throw new CacheKeyError(
    `${what} must be a lower-case word of [a-z0-9_-] starting with a letter, ` +
      `received ${describe(name)}`,
  )
}

function checkOperation(operation: string): string {
  if (typeof operation === 'string' && OPERATION_PATTERN.test(operation)) return operation

  throw new CacheKeyError(
    `operation must be lower-case words of [a-z0-9_-] joined by ":", ` +
      `received ${describe(operation)}`,
  )
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/**
 * The user id a key built by {@link userKey} belongs to, or `undefined` for other keys.
 * Used on the load path only, to tag user entries with their user automatically.
 */
export function userIdOfKey(key: string): string | undefined {
  if (!key.startsWith('user:')) return undefined

  const end = key.indexOf(':', 5)

  return end > 5 ? key.slice(5, end) : undefined
}

/**
 * The tags an entry is stored under: the given ones, checked, plus `user:{id}` for keys
 * built by {@link userKey}.
 */
export function entryTags(key: string, tags: readonly string[] | undefined): readonly string[] {
  const user = userIdOfKey(key)
  const given = tags ?? []

  if (!Array.isArray(given) || given.some((tag) => typeof tag !== 'string' || tag === '')) {
    throw new CacheKeyError(`options.tags must be an array of non-empty strings for "${key}"`)
  }

  if (user === undefined) return given

  const own = `user:${user}`

  return given.includes(own) ? given : [own, ...given]
}

/** Rejects a key that is not a non-empty string, naming the method. */
export function checkCacheKey(key: unknown, caller: string): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new CacheKeyError(`${caller}: key must be a non-empty string, received ${String(key)}`)
  }
}

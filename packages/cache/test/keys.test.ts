import {
  entityTag,
  entityTypeTag,
  hashParams,
  isCacheKeyError,
  tagsForWrite,
  userEntityTag,
  userKey,
  userTag,
} from '@ballast/cache'
import { describe, expect, it } from 'vitest'

describe('key and tag builders', () => {
  it('build the conventional shapes', () => {
    expect(userKey(42, 'properties:list')).toBe('user:42:properties:list')
    expect(userKey(42, 'properties:list', { page: 2 })).toMatch(
      /^user:42:properties:list:[A-Za-z0-9_-]{22}$/,
    )
    expect(userTag(42)).toBe('user:42')
    expect(userEntityTag(42, 'property')).toBe('user:42:property')
    expect(entityTag('property', 7)).toBe('property:7')
    expect(entityTypeTag('property')).toBe('property')
  })

  it('hash parameters regardless of key order, and tell different ones apart', () => {
    expect(hashParams({ a: 1, b: [1, 2] })).toBe(hashParams({ b: [1, 2], a: 1 }))
    expect(hashParams({ page: 1 })).not.toBe(hashParams({ page: '1' }))
    expect(hashParams({ page: 1 })).not.toBe(hashParams({ page: 1, size: 10 }))
  })

  it('reject ids and names that could make two keys collide', () => {
    for (const build of [
      () => userKey('4:2', 'x'),
      () => userKey(-1, 'x'),
      () => userKey(1.5, 'x'),
      () => userKey(1, 'Bad Operation'),
      () => entityTag('Property', 1),
      () => userTag(''),
    ]) {
      expect(build).toThrow()
      try {
        build()
      } catch (error) {
        expect(isCacheKeyError(error)).toBe(true)
      }
    }
  })
})

describe('tagsForWrite', () => {
  it('maps a create to that user view of the entity type only', () => {
    expect(tagsForWrite('property:create', { user: 42 })).toEqual(['user:42:property'])
  })

  it('adds the entity and its parents for updates and deletes', () => {
    expect(
      tagsForWrite('unit:update', { user: 42, id: 9, parents: [{ entity: 'property', id: 7 }] }),
    ).toEqual(['user:42:unit', 'unit:9', 'property:7'])
    expect(tagsForWrite('property:delete', { user: 42, id: 7 })).toEqual([
      'user:42:property',
      'property:7',
    ])
  })

  it('rejects unknown write kinds and updates without an id', () => {
    expect(() => tagsForWrite('property:rename' as never, { user: 42 })).toThrow(/must end in/)
    expect(() => tagsForWrite('property:update', { user: 42 })).toThrow(/needs the written/)
  })
})

export { createMemoryBus, type InvalidationBus, type InvalidationMessage } from './bus'
export { Cache, createCache } from './cache'
export type { Clock } from './clock'
export {
  CACHE_INVALID_KEY,
  CACHE_LOAD_TIMEOUT,
  CACHE_MISSING_VALUE,
  CacheError,
  CacheKeyError,
  CacheLoadTimeoutError,
  CacheMissingValueError,
  isCacheKeyError,
  isCacheLoadTimeoutError,
  isCacheMissingValueError,
} from './errors'
export type { CacheEvents, CacheListener, Provenance } from './events'
export type { InvalidationMode, InvalidationTarget } from './invalidation'
export {
  entityTag,
  entityTypeTag,
  hashParams,
  type Id,
  tagsForWrite,
  userEntityTag,
  userKey,
  userTag,
  type WriteKind,
  type WriteTarget,
} from './keys'
export type { CacheLogger } from './logger'
export type { CacheOptions, GetOptions } from './options'
export { estimateBytes } from './size'
export type {
  BatchLoader,
  CacheResult,
  CacheStats,
  GetManyOptions,
  Loader,
  SetOptions,
} from './types'

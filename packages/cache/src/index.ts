export {
  type BusSubscriber,
  createMemoryBus,
  type InvalidationBus,
  type InvalidationMessage,
  type PublishReport,
} from './bus'
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
export {
  CACHE_INVALIDATION_PENDING,
  CACHE_INVALIDATION_UNCONFIRMED,
  CacheInvalidationPendingError,
  CacheInvalidationUnconfirmedError,
  isCacheInvalidationPendingError,
  isCacheInvalidationUnconfirmedError,
} from './propagation-errors'
export { estimateBytes } from './size'
export {
  createMemoryStore,
  type MemoryStoreOptions,
  type SharedStore,
  type StoredEntry,
  type StoreEntry,
  type StoreRead,
  type StoreWrite,
} from './store'
export type {
  BatchLoader,
  CacheResult,
  CacheStats,
  GetManyOptions,
  Loader,
  SetOptions,
} from './types'

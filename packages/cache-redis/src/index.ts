export type { SyncOutcome } from './bus-sequence'
export {
  CacheRedisError,
  isRedisClosedError,
  isRedisUnavailableError,
  REDIS_CLOSED,
  REDIS_UNAVAILABLE,
  RedisClosedError,
  RedisUnavailableError,
} from './errors'
export {
  type HealthCheck,
  type HealthCheckOptions,
  type HealthOutcome,
  redisHealthCheck,
} from './health'
export {
  createRedisBus,
  type RedisBus,
  type RedisBusSnapshot,
  type RedisBusState,
} from './redis-bus'
export type { RedisBusEvents } from './redis-bus-events'
export type { RedisBusOptions } from './redis-bus-options'
export {
  createRedisStore,
  type RedisStore,
  type RedisStoreOptions,
  type RedisStoreSnapshot,
} from './redis-store'
export { jsonSerializer, type Serializer } from './serializer'

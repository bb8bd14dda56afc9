import type { Redis } from 'ioredis'

/** Rejects anything that is not an ioredis client, naming the factory. */
export function checkRedis(factory: string, redis: unknown): Redis {
  const client = redis as Partial<Redis> | undefined
  if (
    typeof client?.evalsha !== 'function' ||
    typeof client.duplicate !== 'function' ||
    typeof client.status !== 'string'
  ) {
    throw new TypeError(
      `${factory}: options.redis must be an ioredis client, received ${describe(redis)}`,
    )
  }

  return redis as Redis
}

/** Rejects a duration that is not a positive, finite number of milliseconds. */
export function checkTimeout(factory: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `${factory}: options.${name} must be a positive number of milliseconds, ` +
        `received ${describe(value)}`,
    )
  }

  return value
}

/** Rejects a count that is not a positive safe integer. */
export function checkCount(factory: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(
      `${factory}: options.${name} must be a positive integer, received ${describe(value)}`,
    )
  }

  return value
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'object') return 'an object of another shape'

  return String(value)
}

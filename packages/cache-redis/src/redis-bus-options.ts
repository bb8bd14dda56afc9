import type { Redis } from 'ioredis'
import { checkCount, checkTimeout } from './options'

/** Settings of {@link createRedisBus}. */
export interface RedisBusOptions {
  /**
   * The ioredis client publishing goes through. The bus opens one more connection, a
   * `duplicate()` of it named `ballast-bus-<id>` (as `CLIENT LIST` shows it), for its
   * subscription, and closes that one in `close()`.
   */
  readonly redis: Redis
  /**
   * The pub/sub channel, and the prefix of the bus's keys (`<channel>:state`,
   * `<channel>:log`) and of each instance's confirmation channel (`<channel>:ack:<id>`).
   * Caches of different namespaces may share it.
   * @defaultValue `'ballast:cache'`
   */
  readonly channel?: string
  /**
   * How long a publish waits for every receiver to confirm, in milliseconds, before it
   * reports the ones missing.
   * @defaultValue `500`
   */
  readonly ackTimeoutMs?: number
  /**
   * The deadline of each Redis call, in milliseconds.
   * @defaultValue `1000`
   */
  readonly timeoutMs?: number
  /**
   * How many of the newest messages Redis keeps, so an instance that missed fewer replays
   * them instead of dropping its memory tier.
   * @defaultValue `1000`
   */
  readonly logLength?: number
  /**
   * The most publishes waiting for confirmations at once; one more is published without
   * waiting and reported as unconfirmed.
   * @defaultValue `10000`
   */
  readonly maxPendingAcks?: number
  /**
   * How often the subscription is checked, in milliseconds: a `PING` on it (no answer within
   * the same time means the connection is dead, and it is reopened) and a sync that replays
   * anything missed. `0` turns the checks off.
   * @defaultValue `5000`
   */
  readonly heartbeatMs?: number
  /**
   * The time source of `since` in snapshots and of the health check's output.
   * @defaultValue wall-clock milliseconds (`Date.now`)
   */
  readonly clock?: { now(): number }
}

/** The options besides `redis` and `clock`, with their defaults applied and checked. */
export interface ResolvedRedisBusOptions {
  readonly channel: string
  readonly timeoutMs: number
  readonly logLength: number
  /** `0` when the checks are off. */
  readonly heartbeatMs: number
  readonly maxPendingAcks: number
  readonly ackTimeoutMs: number
}

/** Applies defaults and rejects values that cannot work, naming the option and the value. */
export function resolveRedisBusOptions(options: RedisBusOptions): ResolvedRedisBusOptions {
  const channel = checkChannel(options.channel ?? 'ballast:cache')
  const timeoutMs = checkTimeout('createRedisBus', 'timeoutMs', options.timeoutMs ?? 1_000)
  const logLength = checkCount('createRedisBus', 'logLength', options.logLength ?? 1_000)
  const heartbeatMs = options.heartbeatMs ?? 5_000
  if (heartbeatMs !== 0) checkTimeout('createRedisBus', 'heartbeatMs', heartbeatMs)
  const maxPendingAcks = checkCount(
    'createRedisBus',
    'maxPendingAcks',
    options.maxPendingAcks ?? 10_000,
  )
  const ackTimeoutMs = checkTimeout('createRedisBus', 'ackTimeoutMs', options.ackTimeoutMs ?? 500)

  return { channel, timeoutMs, logLength, heartbeatMs, maxPendingAcks, ackTimeoutMs }
}

function checkChannel(channel: unknown): string {
  if (typeof channel !== 'string' || !/^[A-Za-z0-9_.:{}-]{1,128}$/.test(channel)) {
    throw new TypeError(
      'createRedisBus: options.channel must be 1-128 characters of [A-Za-z0-9_.:{}-], ' +
        `received ${typeof channel === 'string' ? JSON.stringify(channel) : String(channel)}`,
    )
  }

  return channel
}

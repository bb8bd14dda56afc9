import { quoteIdent } from './identifiers'
import type { Queryable } from './queryable'

/** Settings of {@link createNotifyBus}. */
export interface NotifyBusOptions {
  /**
   * The NOTIFY channel: lower-case letters, digits and `_`. Caches of several namespaces may
   * share it.
   * @default 'ballast_cache'
   */
  readonly channel?: string
  /**
   * The table of live members, `name` or `schema.name`, created if missing. Every instance
   * of a service must use the same one.
   * @default 'ballast_cache_bus_members'
   */
  readonly table?: string
  /**
   * How long a publish waits for every live member to confirm, in milliseconds.
   * @default 500
   */
  readonly ackTimeoutMs?: number
  /**
   * How often a member renews its lease and checks that its own notifications still reach
   * it, in milliseconds.
   * @default 5000
   */
  readonly heartbeatMs?: number
  /**
   * How long a member counts as live after its last renewal, in milliseconds; a publish waits
   * for live members only. At least twice `heartbeatMs`.
   * @default three times `heartbeatMs`
   */
  readonly leaseMs?: number
  /**
   * The first wait before listening again after a failure, in milliseconds; it doubles per
   * failed attempt, up to 5 s.
   * @default 100
   */
  readonly reconnectDelayMs?: number
  /**
   * The most messages waiting for confirmations at once; one more is published without
   * waiting and reported as unconfirmed.
   * @default 10000
   */
  readonly maxPendingAcks?: number
  /**
   * The time source of `since` in snapshots.
   * @default wall-clock milliseconds (`Date.now`)
   */
  readonly clock?: { now(): number }
}

/** Options with their defaults applied and checked; `table` is quoted, ready for SQL. */
export interface ResolvedNotifyBusOptions {
  readonly channel: string
  readonly table: string
  readonly ackTimeoutMs: number
  readonly heartbeatMs: number
  readonly leaseMs: number
  readonly reconnectDelayMs: number
  readonly maxPendingAcks: number
  readonly clock: { now(): number }
}

/** Rejects a `db` the bus cannot use: it needs `query` and `listen`. */
export function checkListenable(db: Queryable): asserts db is Required<Queryable> {
  if (typeof db?.query !== 'function' || typeof db.listen !== 'function') {
    throw new TypeError(
      'createNotifyBus: db must be a Queryable with listen (fromPgPool, fromPglite), ' +
        `received ${db === null ? 'null' : typeof db}` +
        `${db && !db.listen ? ' without listen' : ''}`,
    )
  }
}

/** Applies defaults and rejects values that cannot work, naming the option and the value. */
export function resolveNotifyBusOptions(options: NotifyBusOptions): ResolvedNotifyBusOptions {
  const channel = checkName(
    'channel',
    options.channel ?? 'ballast_cache',
    /^[a-z_][a-z0-9_]{0,62}$/,
  )
  const table = checkName(
    'table',
    options.table ?? 'ballast_cache_bus_members',
    /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/,
  )
    .split('.')
    .map(quoteIdent)
    .join('.')
  const ackTimeoutMs = checkPositive('ackTimeoutMs', options.ackTimeoutMs ?? 500)
  const heartbeatMs = checkPositive('heartbeatMs', options.heartbeatMs ?? 5_000)
  const leaseMs = checkPositive('leaseMs', options.leaseMs ?? 3 * heartbeatMs)
  if (leaseMs < 2 * heartbeatMs) {
    throw new RangeError(
      'createNotifyBus: options.leaseMs must be at least twice heartbeatMs ' +
        `(${heartbeatMs}), ` +
        `received ${leaseMs}`,
    )
  }
  const reconnectDelayMs = checkPositive('reconnectDelayMs', options.reconnectDelayMs ?? 100)
  const maxPendingAcks = checkPositive('maxPendingAcks', options.maxPendingAcks ?? 10_000)
  const clock = options.clock ?? { now: Date.now }

  return {
    channel,
    table,
    ackTimeoutMs,
    heartbeatMs,
    leaseMs,
    reconnectDelayMs,
    maxPendingAcks,
    clock,
  }
}

function checkName(option: string, value: unknown, pattern: RegExp): string {
  if (typeof value === 'string' && pattern.test(value)) return value

  throw new TypeError(
    `createNotifyBus: options.${option} must match ${pattern}, received ${JSON.stringify(value)}`,
  )
}

function checkPositive(option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value

  throw new RangeError(
    `createNotifyBus: options.${option} must be a positive number, received ${String(value)}`,
  )
}

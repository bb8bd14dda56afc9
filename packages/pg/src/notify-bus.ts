import { randomUUID } from 'node:crypto'
import { BallastPgError } from './errors'
import { quoteIdent } from './identifiers'
import type { Queryable } from './queryable'

/**
 * An invalidation as `@ballast/cache` sends it between instances. A structural copy of the
 * cache's `InvalidationMessage`, so this package needs no cache installed.
 */
export interface NotifyBusMessage {
  /** The sending cache's namespace. */
  readonly namespace: string
  /** The sending cache instance. */
  readonly origin: string
  /** Tags to invalidate. */
  readonly tags: readonly string[]
  /** Keys to invalidate. */
  readonly keys: readonly string[]
  /** `hard` or `soft`. */
  readonly mode: 'hard' | 'soft'
  /** When true, everything in the namespace. */
  readonly all?: boolean
}

/** What a publish learned: the cache's `PublishReport`. */
export interface NotifyBusReport {
  /** Members (live instances) the message was sent to, this one included. */
  readonly receivers: number
  /** Members that confirmed applying it. */
  readonly acknowledged: number
  /** The ids of the members that did not. */
  readonly missing: readonly string[]
}

/** What the bus calls on each cache subscribed to it: the cache's `BusSubscriber`. */
export interface NotifyBusSubscriber {
  /** Applies an invalidation from another instance. */
  invalidate(message: NotifyBusMessage): void
  /** Messages may have been missed: forget everything that could depend on them. */
  reset(reason: string): void
  /** The bus is listening again. */
  connected(): void
}

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

/** Where the bus's subscription stands. */
export type NotifyBusState = 'connecting' | 'listening' | 'down' | 'closed'

/** The bus's state and counters, as plain data for health reports. */
export interface NotifyBusSnapshot {
  /** `listening` once subscribed and registered as a member. */
  readonly state: NotifyBusState
  /** The clock's time when the state last changed. */
  readonly since: number
  /** Messages waiting for confirmations. */
  readonly pendingAcks: number
  /** Times the subscribers were told to reset. */
  readonly resets: number
  /** The message of the last failure, if any. */
  readonly lastError: string | undefined
}

/** The events of a bus, by name. */
export interface NotifyBusEvents {
  /** Listening, the first time or again; the subscribers were reset. */
  listening: Record<string, never>
  /** The subscription was lost; the bus listens again on its own. */
  down: { readonly error: unknown }
  /** Something failed and the bus carried on. */
  error: { readonly error: unknown; readonly during: string }
}

/** A health check in the shape `@ballast/health` registers (a structural copy). */
export interface NotifyBusHealthCheck {
  /** The component's name in the report. */
  readonly name: string
  /** Whether readiness depends on it. */
  readonly critical: boolean
  /** The report's component type. */
  readonly componentType: string
  /** Passes while listening; otherwise fails, saying for how long it has not been. */
  run(signal: AbortSignal): Promise<{
    readonly status: 'pass' | 'fail'
    readonly observedValue: string
    readonly output?: string
  }>
}

/** A cache invalidation bus over PostgreSQL `LISTEN/NOTIFY`. */
export interface NotifyBus {
  /** This member's id, as other members' reports name it. */
  readonly id: string
  /** Sends an invalidation to every live member and reports who applied it. */
  publish(message: NotifyBusMessage, signal?: AbortSignal): Promise<NotifyBusReport>
  /** Receives invalidations; the returned function unsubscribes. */
  subscribe(subscriber: NotifyBusSubscriber): () => void
  /** Resolves once listening; rejects if the bus closes first. */
  ready(signal?: AbortSignal): Promise<void>
  /** The state and counters now. */
  snapshot(): NotifyBusSnapshot
  /** A health check, failing while the bus is not listening; not critical by default. */
  healthCheck(options?: {
    readonly name?: string
    readonly critical?: boolean
  }): NotifyBusHealthCheck
  /** Listens to one kind of event; the returned function stops listening. */
  on<Name extends keyof NotifyBusEvents>(
    name: Name,
    listener: (event: NotifyBusEvents[Name]) => void,
  ): () => void
  /** Stops listening and leaves the member table. */
  close(): Promise<void>
}

/** Code of {@link NotifyBusUnavailableError}. */
export const NOTIFY_BUS_UNAVAILABLE = 'BALLAST_PG_BUS_UNAVAILABLE'

/**
 * The bus cannot publish now: it is not listening (so it could not collect confirmations),
 * it was closed, or PostgreSQL refused the `NOTIFY` (`cause`). The cache keeps the
 * invalidation in its outbox and sends it when the bus listens again.
 */
export class NotifyBusUnavailableError extends BallastPgError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(NOTIFY_BUS_UNAVAILABLE, `The invalidation bus cannot publish: ${reason}`, options)
    this.name = 'NotifyBusUnavailableError'
  }
}

/** Whether `error` is a {@link NotifyBusUnavailableError}, from any copy of this package. */
export function isNotifyBusUnavailableError(error: unknown): error is NotifyBusUnavailableError {
  return (
    typeof error === 'object' &&
    error !== null &&
    Reflect.get(error, 'code') === NOTIFY_BUS_UNAVAILABLE
  )
}

/** NOTIFY payloads must stay under 8000 bytes; messages are split below this. */
const MAX_PAYLOAD_BYTES = 7_000

/** The longest wait between two attempts to listen again, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 5_000

/**
 * A bus for `@ballast/cache` over PostgreSQL `LISTEN/NOTIFY`, for services that have
 * PostgreSQL and no Redis. It satisfies the cache's `InvalidationBus` as it is.
 *
 * NOTIFY cannot say who received a message, so membership is kept in a table: a member
 * listens first, then registers (a row with a lease it renews every `heartbeatMs`), and only
 * then resets its caches and counts as listening. A publish reads the live members and sends
 * the `NOTIFY` in one transaction, then waits until each of them confirmed (each member
 * confirms with a `NOTIFY` of its own after applying). The guarantee: once `publish`
 * resolves with every member confirming, every live member has applied the message, and a
 * member that registered too late to be counted reset its caches after the message's
 * transaction began, hence after the write it follows. A member that does not confirm
 * within `ackTimeoutMs` (crashed, or its connection silently dead) is named in `missing`
 * until its lease runs out.
 *
 * Limits: NOTIFY keeps no history, so a member that lost its connection cannot replay what
 * it missed: it resets its caches whenever it listens again. Each invalidation costs one
 * notification per member for its confirmations, seen by every member, and each member
 * sends one heartbeat notification per `heartbeatMs`; fine for tens of instances, not
 * hundreds. Messages larger than a notification may carry are split, in one transaction.
 * A publish waits for PostgreSQL as long as the connection does: bound it with the pool's
 * `statement_timeout` or `query_timeout`.
 *
 * @example
 * ```ts
 * const db = fromPgPool(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 * const bus = createNotifyBus(db)
 * const cache = createCache({ namespace: 'property-api:v1', bus })
 * ```
 */
export function createNotifyBus(db: Queryable, options: NotifyBusOptions = {}): NotifyBus {
  return new PgNotifyBus(db, options)
}

interface Waiting {
  readonly confirmed: Set<string>
  /** Called on each confirmation, once a publish waits for this message. */
  check: (() => void) | undefined
}

class PgNotifyBus implements NotifyBus {
  readonly id = randomUUID()
  readonly #db: Queryable
  readonly #listen: NonNullable<Queryable['listen']>
  readonly #channel: string
  readonly #table: string
  readonly #ackTimeoutMs: number
  readonly #heartbeatMs: number
  readonly #leaseMs: number
  readonly #reconnectDelayMs: number
  readonly #maxPendingAcks: number
  readonly #clock: { now(): number }
  readonly #subscribers = new Set<NotifyBusSubscriber>()
  readonly #pending = new Map<string, Waiting>()
  readonly #listeners = new Map<keyof NotifyBusEvents, Array<(event: never) => void>>()
  readonly #waiters = new Set<{ resolve: () => void; reject: (error: unknown) => void }>()

  #state: NotifyBusState = 'connecting'
  #since: number
  #generation = 0
  #unlisten: (() => Promise<void>) | undefined
  #tableReady = false
  #attempt = 0
  #retry: ReturnType<typeof setTimeout> | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #pingSent = 0
  #pingHeard = 0
  #published = 0
  #resets = 0
  #lastError: string | undefined
  #closed = false

  constructor(db: Queryable, options: NotifyBusOptions) {
    if (typeof db?.query !== 'function' || typeof db.listen !== 'function') {
      throw new TypeError(
        'createNotifyBus: db must be a Queryable with listen (fromPgPool, fromPglite), ' +
          `received ${db === null ? 'null' : typeof db}` +
          `${db && !db.listen ? ' without listen' : ''}`,
      )
    }
    this.#db = db
    this.#listen = db.listen.bind(db)
    this.#channel = checkName(
      'channel',
      options.channel ?? 'ballast_cache',
      /^[a-z_][a-z0-9_]{0,62}$/,
    )
    this.#table = checkName(
      'table',
      options.table ?? 'ballast_cache_bus_members',
      /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/,
    )
      .split('.')
      .map(quoteIdent)
      .join('.')
    this.#ackTimeoutMs = checkPositive('ackTimeoutMs', options.ackTimeoutMs ?? 500)
    this.#heartbeatMs = checkPositive('heartbeatMs', options.heartbeatMs ?? 5_000)
    this.#leaseMs = checkPositive('leaseMs', options.leaseMs ?? 3 * this.#heartbeatMs)
    if (this.#leaseMs < 2 * this.#heartbeatMs) {
      throw new RangeError(
        'createNotifyBus: options.leaseMs must be at least twice heartbeatMs ' +
          `(${this.#heartbeatMs}), ` +
          `received ${this.#leaseMs}`,
      )
    }
    this.#reconnectDelayMs = checkPositive('reconnectDelayMs', options.reconnectDelayMs ?? 100)
    this.#maxPendingAcks = checkPositive('maxPendingAcks', options.maxPendingAcks ?? 10_000)
    this.#clock = options.clock ?? { now: Date.now }
    this.#since = this.#clock.now()

    void this.#connect(this.#generation)
  }

  async publish(message: NotifyBusMessage): Promise<NotifyBusReport> {
    if (this.#closed) throw new NotifyBusUnavailableError('the bus is closed')
    if (this.#state !== 'listening') {
      throw new NotifyBusUnavailableError(`the bus is ${this.#state}`)
    }

    const chunks = split(message).map((part) => ({ id: `${++this.#published}`, part }))
    const waiting = this.#pending.size + chunks.length <= this.#maxPendingAcks
    if (waiting) {
      for (const { id } of chunks) this.#pending.set(id, { confirmed: new Set(), check: undefined })
    }

    let members: string[]
    try {
      members = await this.#db.transaction(async (tx) => {
        const { rows } = await tx.query<{ member: string }>(
          `select member from ${this.#table}
            where channel = $1 and seen_at > now() - $2 * interval '1 millisecond'`,
          [this.#channel, this.#leaseMs],
        )
        for (const { id, part } of chunks) {
          const payload = JSON.stringify({ t: 'm', i: id, f: this.id, m: part })
          await tx.query('select pg_notify($1, $2)', [this.#channel, payload])
        }
        return rows.map((row) => row.member)
      })
    } catch (error) {
      for (const { id } of chunks) this.#pending.delete(id)
      throw new NotifyBusUnavailableError('PostgreSQL refused the notification', { cause: error })
    }

    if (!waiting) return { receivers: members.length, acknowledged: 0, missing: members }

    return this.#collect(
      chunks.map(({ id }) => id),
      members,
    )
  }

  subscribe(subscriber: NotifyBusSubscriber): () => void {
    if (this.#closed) return () => undefined

    this.#subscribers.add(subscriber)
    return () => {
      this.#subscribers.delete(subscriber)
    }
  }

  ready(signal?: AbortSignal): Promise<void> {
    if (this.#state === 'listening') return Promise.resolve()
    if (this.#closed) return Promise.reject(new NotifyBusUnavailableError('the bus is closed'))
    if (signal?.aborted) return Promise.reject(signal.reason)

    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(waiter)
        reject(signal?.reason)
      }
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        reject,
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
    })
  }

  snapshot(): NotifyBusSnapshot {
    return {
      state: this.#state,
      since: this.#since,
      pendingAcks: this.#pending.size,
      resets: this.#resets,
      lastError: this.#lastError,
    }
  }

  healthCheck(options: { readonly name?: string; readonly critical?: boolean } = {}) {
    return {
      name: options.name ?? 'cache-bus',
      critical: options.critical ?? false,
      componentType: 'component',
      run: async () => {
        const { state, since } = this.snapshot()
        if (state === 'listening') return { status: 'pass' as const, observedValue: state }

        return {
          status: 'fail' as const,
          observedValue: state,
          output:
            `the invalidation bus has been ${state} for ${this.#clock.now() - since} ms: ` +
            'invalidations made by other instances do not reach this one until it listens again',
        }
      },
    }
  }

  on<Name extends keyof NotifyBusEvents>(
    name: Name,
    listener: (event: NotifyBusEvents[Name]) => void,
  ): () => void {
    this.#listeners.set(name, [...(this.#listeners.get(name) ?? []), listener])

    return () => {
      const remaining = (this.#listeners.get(name) ?? []).filter((item) => item !== listener)
      this.#listeners.set(name, remaining)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#generation++

    clearTimeout(this.#retry)
    clearInterval(this.#heartbeat)
    this.#setState('closed')
    this.#subscribers.clear()
    for (const waiter of this.#waiters)
      waiter.reject(new NotifyBusUnavailableError('the bus is closed'))
    this.#waiters.clear()

    const unlisten = this.#unlisten
    this.#unlisten = undefined
    await Promise.allSettled([unlisten?.(), this.#leave()])
  }

  /** Listens, registers as a member, then resets the subscribers: in that order. */
  async #connect(generation: number): Promise<void> {
    try {
      if (!this.#tableReady) await this.#createTable()

      const unlisten = await this.#listen(
        this.#channel,
        (payload) => this.#notification(payload),
        (error) => this.#lost(generation, error),
      )
      if (this.#closed || generation !== this.#generation) {
        await unlisten()
        return
      }
      this.#unlisten = unlisten

      await this.#db.query(
        `with expired as (
           delete from ${this.#table}
            where channel = $1 and seen_at < now() - $3 * interval '1 millisecond'
         )
         insert into ${this.#table} (channel, member, seen_at) values ($1, $2, now())
         on conflict (channel, member) do update set seen_at = excluded.seen_at`,
        [this.#channel, this.id, 10 * this.#leaseMs],
      )
    } catch (error) {
      if (this.#closed || generation !== this.#generation) return
      this.#lost(generation, error)
      return
    }
    if (this.#closed || generation !== this.#generation) return

    this.#listening()
  }

  #listening(): void {
    this.#attempt = 0
    this.#pingSent = 0
    this.#pingHeard = 0
    this.#setState('listening')
    this.#reset('listening again: notifications sent meanwhile are lost')
    this.#emit('listening', {})
    this.#tell('telling a subscriber it is connected', (subscriber) => subscriber.connected())
    for (const waiter of this.#waiters) waiter.resolve()
    this.#waiters.clear()

    clearInterval(this.#heartbeat)
    this.#heartbeat = setInterval(() => void this.#beat(), this.#heartbeatMs)
    this.#heartbeat.unref()
  }

  /** The subscription failed or broke: down until it listens again after a backoff. */
  #lost(generation: number, error: unknown): void {
    if (this.#closed || generation !== this.#generation) return

    const next = ++this.#generation
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    const unlisten = this.#unlisten
    this.#unlisten = undefined
    unlisten?.().catch(() => undefined)
    void this.#leave()

    this.#lastError = error instanceof Error ? error.message : String(error)
    if (this.#state !== 'down') {
      this.#setState('down')
      this.#emit('down', { error })
    }

    const delay = Math.min(this.#reconnectDelayMs * 2 ** this.#attempt, MAX_RECONNECT_DELAY_MS)
    this.#attempt++
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      void this.#connect(next)
    }, delay)
    this.#retry.unref()
  }

  /**
   * Renews the lease and sends itself a ping. A ping from the last beat that never came back
   * means the listening connection stopped delivering: it is reopened.
   */
  async #beat(): Promise<void> {
    const generation = this.#generation
    if (this.#pingHeard < this.#pingSent) {
      this.#lost(generation, new Error('the listening connection stopped delivering notifications'))
      return
    }

    const ping = this.#pingSent + 1
    try {
      await this.#db.query(
        `with beat as (
           insert into ${this.#table} (channel, member, seen_at) values ($1, $2, now())
           on conflict (channel, member) do update set seen_at = excluded.seen_at
           returning 1
         )
         select pg_notify($1, $3) from beat`,
        [this.#channel, this.id, JSON.stringify({ t: 'p', f: this.id, n: ping })],
      )
      if (generation === this.#generation) this.#pingSent = Math.max(this.#pingSent, ping)
    } catch (error) {
      this.#report(error, 'renewing the lease')
    }
  }

  #notification(payload: string): void {
    let note: Note
    try {
      note = JSON.parse(payload) as Note
    } catch {
      this.#report(new Error(`an unreadable notification on ${this.#channel}`), 'receiving')
      return
    }

    if (note.t === 'a') {
      if (note.f === this.id) this.#confirm(note.i, note.b)
    } else if (note.t === 'p') {
      if (note.f === this.id) this.#pingHeard = Math.max(this.#pingHeard, note.n)
    } else if (note.t === 'm') {
      this.#apply(note)
    }
  }

  #apply(note: MessageNote): void {
    if (!isMessage(note.m)) {
      this.#reset('a message could not be read')
    } else {
      const message = note.m
      this.#tell('applying an invalidation', (subscriber) => subscriber.invalidate(message))
    }

    if (note.f === this.id) {
      this.#confirm(note.i, this.id)
      return
    }

    const ack = JSON.stringify({ t: 'a', i: note.i, f: note.f, b: this.id })
    this.#db
      .query('select pg_notify($1, $2)', [this.#channel, ack])
      .catch((error: unknown) => this.#report(error, 'acknowledging'))
  }

  #confirm(id: string, member: string): void {
    const waiting = this.#pending.get(id)
    if (waiting === undefined) return

    waiting.confirmed.add(member)
    waiting.check?.()
  }

  /** Waits until every member confirmed every part, or the ack timeout passed. */
  #collect(ids: readonly string[], members: readonly string[]): Promise<NotifyBusReport> {
    const waits = ids.map((id) => this.#pending.get(id) as Waiting)
    const missing = () =>
      members.filter((member) => waits.some(({ confirmed }) => !confirmed.has(member)))

    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        for (const id of ids) this.#pending.delete(id)

        const absent = missing()
        resolve({
          receivers: members.length,
          acknowledged: members.length - absent.length,
          missing: absent,
        })
      }
      const check = () => {
        if (missing().length === 0) finish()
      }
      const timer = setTimeout(finish, this.#ackTimeoutMs)
      timer.unref()

      for (const waiting of waits) waiting.check = check
      check()
    })
  }

  async #createTable(): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(hashtext($1))', [this.#table])
      await tx.query(
        `create table if not exists ${this.#table} (
           channel text not null,
           member text not null,
           seen_at timestamptz not null default now(),
           primary key (channel, member)
         )`,
      )
    })
    this.#tableReady = true
  }

  async #leave(): Promise<void> {
    try {
      await this.#db.query(`delete from ${this.#table} where channel = $1 and member = $2`, [
        this.#channel,
        this.id,
      ])
    } catch (error) {
      this.#report(error, 'leaving the member table')
    }
  }

  #reset(reason: string): void {
    this.#resets++
    this.#tell('resetting a subscriber', (subscriber) => subscriber.reset(reason))
  }

  /** Calls every subscriber; one that throws is reported, and the others still hear it. */
  #tell(during: string, what: (subscriber: NotifyBusSubscriber) => void): void {
    for (const subscriber of [...this.#subscribers]) {
      try {
        what(subscriber)
      } catch (error) {
        this.#report(error, during)
      }
    }
  }

  #setState(state: NotifyBusState): void {
    if (state === this.#state) return
    this.#state = state
    this.#since = this.#clock.now()
  }

  #emit<Name extends keyof NotifyBusEvents>(name: Name, event: NotifyBusEvents[Name]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        ;(listener as (event: NotifyBusEvents[Name]) => void)(event)
      } catch {
        // A listener's failure is its own; the bus carries on.
      }
    }
  }

  #report(error: unknown, during: string): void {
    this.#lastError = error instanceof Error ? error.message : String(error)
    this.#emit('error', { error, during })
  }
}

interface MessageNote {
  readonly t: 'm'
  readonly i: string
  readonly f: string
  readonly m: unknown
}

type Note =
  | MessageNote
  | { readonly t: 'a'; readonly i: string; readonly f: string; readonly b: string }
  | { readonly t: 'p'; readonly f: string; readonly n: number }

function isMessage(value: unknown): value is NotifyBusMessage {
  const m = value as Partial<NotifyBusMessage> | null
  return (
    typeof m?.namespace === 'string' &&
    typeof m.origin === 'string' &&
    Array.isArray(m.tags) &&
    Array.isArray(m.keys) &&
    (m.mode === 'hard' || m.mode === 'soft')
  )
}

/**
 * Splits a message into parts whose notifications stay under the payload limit. A single
 * name too long for any notification turns the message into an invalidation of everything,
 * which always fits and is always correct.
 */
function split(message: NotifyBusMessage): NotifyBusMessage[] {
  if (Buffer.byteLength(JSON.stringify(message)) <= MAX_PAYLOAD_BYTES) return [message]

  const names = [...message.tags, ...message.keys]
  if (names.some((name) => Buffer.byteLength(JSON.stringify(name)) > MAX_PAYLOAD_BYTES / 2)) {
    return [{ ...message, tags: [], keys: [], all: true }]
  }

  const parts: NotifyBusMessage[] = []
  let part: { tags: string[]; keys: string[] } = { tags: [], keys: [] }
  let bytes = 0
  const add = (field: 'tags' | 'keys', name: string) => {
    const size = Buffer.byteLength(JSON.stringify(name)) + 1
    if (bytes + size > MAX_PAYLOAD_BYTES / 2 && bytes > 0) {
      parts.push({ ...message, ...part })
      part = { tags: [], keys: [] }
      bytes = 0
    }
    part[field].push(name)
    bytes += size
  }

  for (const tag of message.tags) add('tags', tag)
  for (const key of message.keys) add('keys', key)
  parts.push({ ...message, ...part })

  return parts
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

import { randomUUID } from 'node:crypto'
import { NotifyBusUnavailableError } from './notify-bus-errors'
import { NotifyBusEmitter, type NotifyBusEvents } from './notify-bus-events'
import { Listener } from './notify-bus-listener'
import { MemberTable } from './notify-bus-members'
import type { NotifyBusMessage, NotifyBusReport, NotifyBusSubscriber } from './notify-bus-message'
import { isMessage, type MessageNote, parseNote } from './notify-bus-notes'
import {
  checkListenable,
  type NotifyBusOptions,
  type ResolvedNotifyBusOptions,
  resolveNotifyBusOptions,
} from './notify-bus-options'
import { Publisher } from './notify-bus-publisher'
import type { Queryable } from './queryable'

// The bus's whole public surface is exported from this module; index.ts re-exports it.
export {
  isNotifyBusUnavailableError,
  NOTIFY_BUS_UNAVAILABLE,
  NotifyBusUnavailableError,
} from './notify-bus-errors'
export type { NotifyBusEvents } from './notify-bus-events'
export type {
  NotifyBusMessage,
  NotifyBusReport,
  NotifyBusSubscriber,
} from './notify-bus-message'
export type { NotifyBusOptions } from './notify-bus-options'

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

class PgNotifyBus implements NotifyBus {
  readonly id = randomUUID()
  readonly #options: ResolvedNotifyBusOptions
  readonly #db: Queryable
  readonly #clock: { now(): number }
  readonly #publisher: Publisher
  readonly #listener: Listener
  readonly #subscribers = new Set<NotifyBusSubscriber>()
  readonly #events = new NotifyBusEmitter()
  readonly #waiters = new Set<{ resolve: () => void; reject: (error: unknown) => void }>()

  #state: NotifyBusState = 'connecting'
  #since: number
  #resets = 0
  #lastError: string | undefined
  #closed = false

  constructor(db: Queryable, options: NotifyBusOptions) {
    checkListenable(db)
    this.#db = db
    const listen = db.listen.bind(db)
    this.#options = resolveNotifyBusOptions(options)
    this.#clock = this.#options.clock
    this.#since = this.#clock.now()

    const { channel, table, leaseMs } = this.#options
    const report = (error: unknown, during: string) => this.#report(error, during)
    const members = new MemberTable({ db, table, channel, member: this.id, leaseMs, report })
    this.#publisher = new Publisher({
      db,
      members,
      channel,
      member: this.id,
      ackTimeoutMs: this.#options.ackTimeoutMs,
      maxPendingAcks: this.#options.maxPendingAcks,
    })
    this.#listener = new Listener({
      listen,
      channel,
      member: this.id,
      members,
      heartbeatMs: this.#options.heartbeatMs,
      reconnectDelayMs: this.#options.reconnectDelayMs,
      handlers: {
        notification: (payload) => this.#notification(payload),
        listening: () => this.#listening(),
        down: (error) => this.#down(error),
        report,
      },
    })

    this.#listener.start()
  }

  publish(message: NotifyBusMessage): Promise<NotifyBusReport> {
    if (this.#closed) return Promise.reject(new NotifyBusUnavailableError('the bus is closed'))
    if (this.#state !== 'listening') {
      return Promise.reject(new NotifyBusUnavailableError(`the bus is ${this.#state}`))
    }

    return this.#publisher.publish(message)
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
      pendingAcks: this.#publisher.pending,
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
    return this.#events.on(name, listener)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#listener.halt()

    this.#setState('closed')
    this.#subscribers.clear()
    for (const waiter of this.#waiters)
      waiter.reject(new NotifyBusUnavailableError('the bus is closed'))
    this.#waiters.clear()

    await this.#listener.release()
  }

  /** Listening and registered: resets the subscribers, then tells them and the waiters. */
  #listening(): void {
    this.#setState('listening')
    this.#reset('listening again: notifications sent meanwhile are lost')
    this.#events.emit('listening', {})
    this.#tell('telling a subscriber it is connected', (subscriber) => subscriber.connected())
    for (const waiter of this.#waiters) waiter.resolve()
    this.#waiters.clear()
  }

  /** Listening failed or broke: down until the listener listens again. */
  #down(error: unknown): void {
    this.#lastError = error instanceof Error ? error.message : String(error)
    if (this.#state !== 'down') {
      this.#setState('down')
      this.#events.emit('down', { error })
    }
  }

  #notification(payload: string): void {
    const note = parseNote(payload)
    if (note === undefined) {
      this.#report(new Error(`an unreadable notification on ${this.#options.channel}`), 'receiving')
      return
    }

    if (note.t === 'a') {
      if (note.f === this.id) this.#publisher.confirm(note.i, note.b)
    } else if (note.t === 'p') {
      if (note.f === this.id) this.#listener.heard(note.n)
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
      this.#publisher.confirm(note.i, this.id)
      return
    }

    const ack = JSON.stringify({ t: 'a', i: note.i, f: note.f, b: this.id })
    this.#db
      .query('select pg_notify($1, $2)', [this.#options.channel, ack])
      .catch((error: unknown) => this.#report(error, 'acknowledging'))
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

  #report(error: unknown, during: string): void {
    this.#lastError = error instanceof Error ? error.message : String(error)
    this.#events.emit('error', { error, during })
  }
}

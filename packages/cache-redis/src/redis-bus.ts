import { randomUUID } from 'node:crypto'
import type {
  BusSubscriber,
  InvalidationBus,
  InvalidationMessage,
  PublishReport,
} from '@ballast/cache'
import type { Redis } from 'ioredis'
import { PendingAcks } from './acks'
import { PUBLISH, SYNC } from './bus-scripts'
import {
  type Envelope,
  MessageSequence,
  parseEnvelope,
  type SyncOutcome,
  type SyncReply,
} from './bus-sequence'
import { call } from './call'
import { Emitter } from './emitter'
import { RedisClosedError, RedisUnavailableError } from './errors'
import { checkShape, type HealthCheck, type HealthCheckOptions } from './health'
import { checkCount, checkRedis, checkTimeout } from './options'

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

/** Where a bus's subscription stands. */
export type RedisBusState = 'connecting' | 'listening' | 'down' | 'closed'

/** A bus's state and counters, as plain data for health reports. */
export interface RedisBusSnapshot {
  /**
   * `listening`: subscribed and in step; `connecting`: not yet; `down`: the subscription
   * was lost, and invalidations from other instances do not arrive; `closed`.
   */
  readonly state: RedisBusState
  /** The clock's time when the state last changed. */
  readonly since: number
  /** The sequence number of the last message applied. */
  readonly sequence: number
  /** Publishes waiting for confirmations. */
  readonly pendingAcks: number
  /** Times the subscribers were told to reset. */
  readonly resets: number
  /** Missed messages replayed from the log. */
  readonly replayed: number
  /** The message of the last failure, if any. */
  readonly lastError: string | undefined
}

/** The events a bus emits, by name, with what each listener receives. */
export interface RedisBusEvents {
  /**
   * The subscription got in step: when it started listening, and whenever it replayed
   * missed messages or told its subscribers to reset.
   */
  synced: SyncOutcome
  /** The subscription was lost; the bus reconnects on its own. */
  down: { readonly error: unknown }
  /** Something failed and the bus carried on. */
  error: { readonly error: unknown; readonly during: string }
}

/** An `InvalidationBus` over Redis pub/sub, with its state, events and health check. */
export interface RedisBus extends InvalidationBus {
  /** This bus's id: the one other instances' confirmations name. */
  readonly id: string
  /** Resolves once the subscription is listening; rejects if the bus closes first. */
  ready(signal?: AbortSignal): Promise<void>
  /** The state and counters now. */
  snapshot(): RedisBusSnapshot
  /** A health check for `@ballast/health`, failing while the subscription is not listening. */
  healthCheck(options?: HealthCheckOptions): HealthCheck
  /** Listens to one kind of event; the returned function stops listening. */
  on<Name extends keyof RedisBusEvents>(
    name: Name,
    listener: (event: RedisBusEvents[Name]) => void,
  ): () => void
  /** Closes the subscription connection and settles every wait; the given client stays open. */
  close(): Promise<void>
}

/** At most this many messages are held while a sync is under way. */
const MAX_HELD = 10_000

/**
 * A bus over Redis pub/sub for `@ballast/cache`, with confirmed delivery.
 *
 * Publishing numbers the message in the channel's sequence, logs it and publishes it in one
 * script, which also returns how many subscriptions received it. Each receiving bus applies
 * the message to its caches and then confirms on the sender's own channel; `publish`
 * resolves once that many confirmations arrived (the sender's own subscription counts
 * itself), or after `ackTimeoutMs` with those that did. So once `invalidate()` resolves,
 * every instance subscribed at that moment has applied it.
 *
 * A subscription that was down, skipped a number, or saw the channel's epoch change (Redis
 * lost its data) syncs on coming back: it replays what it missed from the log, or tells its
 * caches to reset when the log no longer has it all. It does the same when it first
 * subscribes, since it cannot know what was published before.
 *
 * `publish` is refused at once while the subscription is not listening: the bus could not
 * collect confirmations, so the cache keeps the invalidation in its outbox and sends it when
 * the bus reports it is connected again.
 *
 * @example
 * ```ts
 * const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 })
 * const bus = createRedisBus({ redis })
 * const cache = createCache({ namespace: 'property-api:v1', bus })
 * bus.on('down', ({ error }) => logger.warn({ err: error }, 'cache bus down'))
 * ```
 */
export function createRedisBus(options: RedisBusOptions): RedisBus {
  return new RedisPubSubBus(options)
}

class RedisPubSubBus implements RedisBus {
  readonly id = randomUUID()
  readonly #redis: Redis
  readonly #subscriber: Redis
  readonly #channel: string
  readonly #ackChannel: string
  readonly #keys: readonly [string, string]
  readonly #timeoutMs: number
  readonly #logLength: number
  readonly #heartbeatMs: number
  readonly #acks: PendingAcks
  readonly #sequence: MessageSequence
  readonly #subscribers = new Set<BusSubscriber>()
  readonly #events = new Emitter<RedisBusEvents>()
  readonly #waiters = new Set<{ resolve: () => void; reject: (error: unknown) => void }>()
  readonly #clock: { now(): number }

  #state: RedisBusState = 'connecting'
  #since: number
  #generation = 0
  #syncing: number | undefined
  #retryDelayMs = 100
  #retry: ReturnType<typeof setTimeout> | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #published = 0
  #resets = 0
  #replayed = 0
  #lastError: string | undefined
  #closed = false

  constructor(options: RedisBusOptions) {
    this.#redis = checkRedis('createRedisBus', options?.redis)
    this.#clock = options.clock ?? { now: Date.now }
    this.#since = this.#clock.now()
    this.#channel = checkChannel(options.channel ?? 'ballast:cache')
    this.#ackChannel = `${this.#channel}:ack:${this.id}`
    this.#keys = [`${this.#channel}:state`, `${this.#channel}:log`]
    this.#timeoutMs = checkTimeout('createRedisBus', 'timeoutMs', options.timeoutMs ?? 1_000)
    this.#logLength = checkCount('createRedisBus', 'logLength', options.logLength ?? 1_000)
    this.#heartbeatMs = options.heartbeatMs ?? 5_000
    if (this.#heartbeatMs !== 0) checkTimeout('createRedisBus', 'heartbeatMs', this.#heartbeatMs)
    this.#acks = new PendingAcks(
      checkCount('createRedisBus', 'maxPendingAcks', options.maxPendingAcks ?? 10_000),
      checkTimeout('createRedisBus', 'ackTimeoutMs', options.ackTimeoutMs ?? 500),
    )
    this.#sequence = new MessageSequence(
      {
        apply: (envelope) => this.#apply(envelope),
        acknowledge: (envelope) => this.#acknowledge(envelope),
        reset: (reason) => this.#reset(reason),
        resync: () => void this.#resync(this.#generation),
      },
      MAX_HELD,
    )

    this.#subscriber = this.#redis.duplicate({
      autoResubscribe: false,
      lazyConnect: true,
      connectionName: `ballast-bus-${this.id}`,
    })
    this.#subscriber.on('ready', () => void this.#connected())
    this.#subscriber.on('close', () => this.#lost(new Error('the subscriber connection closed')))
    this.#subscriber.on('error', (error: unknown) =>
      this.#report(error, 'the subscriber connection'),
    )
    this.#subscriber.on('message', (channel: string, text: string) => this.#message(channel, text))
    this.#subscriber.connect().catch(() => undefined)
  }

  async publish(message: InvalidationMessage, signal?: AbortSignal): Promise<PublishReport> {
    if (this.#closed) throw new RedisClosedError('publish')
    if (this.#state !== 'listening') {
      throw new RedisUnavailableError('publish', `the subscription is ${this.#state}`)
    }

    const id = String(++this.#published)
    const waiting = this.#acks.open(id)
    const payload = JSON.stringify({ i: id, f: this.id, m: message })
    let reply: unknown
    try {
      reply = await call(this.#redis, 'publish', this.#timeoutMs, signal, () =>
        PUBLISH.run(this.#redis, this.#keys, [
          this.#channel,
          payload,
          this.#logLength,
          randomUUID(),
        ]),
      )
    } catch (error) {
      this.#acks.cancel(id)
      throw error
    }

    const receivers = Number((reply as unknown[])[1])
    if (!waiting) return { receivers, acknowledged: 0 }

    return this.#acks.wait(id, receivers)
  }

  subscribe(subscriber: BusSubscriber): () => void {
    if (this.#closed) return () => undefined

    this.#subscribers.add(subscriber)
    return () => {
      this.#subscribers.delete(subscriber)
    }
  }

  ready(signal?: AbortSignal): Promise<void> {
    if (this.#state === 'listening') return Promise.resolve()
    if (this.#closed) return Promise.reject(new RedisClosedError('ready'))
    if (signal?.aborted) return Promise.reject(signal.reason)

    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        reject,
      }
      const onAbort = () => {
        this.#waiters.delete(waiter)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
    })
  }

  snapshot(): RedisBusSnapshot {
    return {
      state: this.#state,
      since: this.#since,
      sequence: this.#sequence.applied,
      pendingAcks: this.#acks.size,
      resets: this.#resets,
      replayed: this.#replayed,
      lastError: this.#lastError,
    }
  }

  healthCheck(options?: HealthCheckOptions): HealthCheck {
    return checkShape(options, 'cache-bus', 'component', async () => {
      const { state, since } = this.snapshot()
      if (state === 'listening') return { status: 'pass', observedValue: state }

      const forMs = this.#clock.now() - since
      return {
        status: 'fail',
        observedValue: state,
        output:
          `the invalidation bus has been ${state} for ${forMs} ms: invalidations made ` +
          'by other instances do not reach this one until it is listening again',
      }
    })
  }

  on<Name extends keyof RedisBusEvents>(
    name: Name,
    listener: (event: RedisBusEvents[Name]) => void,
  ): () => void {
    return this.#events.on(name, listener)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#generation++

    clearTimeout(this.#retry)
    clearInterval(this.#heartbeat)
    this.#acks.closeAll()
    this.#subscribers.clear()
    this.#setState('closed')
    for (const waiter of this.#waiters) waiter.reject(new RedisClosedError('ready'))
    this.#waiters.clear()

    for (const name of ['ready', 'close', 'message']) this.#subscriber.removeAllListeners(name)
    this.#subscriber.disconnect()
  }

  /** The subscriber connection is ready, the first time or again: subscribe, then sync. */
  async #connected(): Promise<void> {
    const generation = ++this.#generation
    this.#sequence.restart()

    try {
      await this.#subscriber.subscribe(this.#channel, this.#ackChannel)
    } catch (error) {
      if (generation !== this.#generation || this.#closed) return
      this.#report(error, 'subscribing')
      this.#subscriber.disconnect(true)
      return
    }

    if (generation === this.#generation && !this.#closed) await this.#resync(generation)
  }

  #lost(error: unknown): void {
    if (this.#closed) return

    this.#generation++
    this.#syncing = undefined
    clearTimeout(this.#retry)
    this.#retry = undefined
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    this.#sequence.restart()

    if (this.#state !== 'down') {
      this.#lastError = error instanceof Error ? error.message : String(error)
      this.#setState('down')
      this.#events.emit('down', { error })
    }
  }

  /** Runs the sync script, retrying with backoff while the command connection fails. */
  async #resync(generation: number): Promise<void> {
    if (this.#closed || generation !== this.#generation || this.#syncing === generation) return
    this.#syncing = generation
    this.#sequence.hold()

    let reply: SyncReply
    try {
      const args = [this.#sequence.epoch ?? '', this.#sequence.applied, randomUUID()]
      const raw = await call(this.#redis, 'sync', this.#timeoutMs, undefined, () =>
        SYNC.run(this.#redis, this.#keys, args),
      )
      reply = parseSync(raw)
    } catch (error) {
      if (this.#syncing === generation) this.#syncing = undefined
      if (this.#closed || generation !== this.#generation) return

      this.#report(error, 'resynchronising')
      this.#retry = setTimeout(() => {
        this.#retry = undefined
        void this.#resync(generation)
      }, this.#retryDelayMs)
      this.#retry.unref()
      this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, 2_000)
      return
    }

    if (this.#syncing === generation) this.#syncing = undefined
    if (this.#closed || generation !== this.#generation) return

    const outcome = this.#sequence.synced(reply)
    this.#replayed += outcome.replayed
    if (this.#sequence.inStep) this.#inStep(outcome)
  }

  #inStep(outcome: SyncOutcome): void {
    const started = this.#state !== 'listening'
    this.#retryDelayMs = 100
    this.#setState('listening')

    if (started) {
      for (const waiter of this.#waiters) waiter.resolve()
      this.#waiters.clear()
      this.#startHeartbeat()
    }
    if (started || outcome.reset || outcome.replayed > 0) {
      this.#events.emit('synced', outcome)
      this.#tell('telling a subscriber it is connected', (subscriber) => subscriber.connected())
    }
  }

  #message(channel: string, text: string): void {
    if (channel === this.#ackChannel) {
      const [id, by] = text.split(' ')
      if (id !== undefined && by !== undefined) this.#acks.confirm(id, by)
      return
    }
    if (channel !== this.#channel) return

    const envelope = parseEnvelope(text)
    if (envelope === undefined) {
      // Its number is unknown; the next message or heartbeat finds the gap and syncs.
      this.#report(new Error(`an unreadable message on ${channel}`), 'receiving')
      return
    }

    this.#sequence.receive(envelope)
  }

  #apply(envelope: Envelope): void {
    if (envelope.body === undefined) {
      this.#reset('a message could not be read')
      return
    }

    const message = envelope.body.message
    this.#tell('applying an invalidation', (subscriber) => subscriber.invalidate(message))
  }

  #acknowledge(envelope: Envelope): void {
    const body = envelope.body
    if (body === undefined) return

    if (body.from === this.id) {
      this.#acks.confirm(body.id, this.id)
      return
    }

    const channel = `${this.#channel}:ack:${body.from}`
    call(this.#redis, 'acknowledge', this.#timeoutMs, undefined, () =>
      this.#redis.publish(channel, `${body.id} ${this.id}`),
    ).catch((error: unknown) => this.#report(error, 'acknowledging'))
  }

  #reset(reason: string): void {
    this.#resets++
    this.#tell('resetting a subscriber', (subscriber) => subscriber.reset(reason))
  }

  /** Calls every subscriber; one that throws is reported, and the others still hear it. */
  #tell(during: string, what: (subscriber: BusSubscriber) => void): void {
    for (const subscriber of [...this.#subscribers]) {
      try {
        what(subscriber)
      } catch (error) {
        this.#report(error, during)
      }
    }
  }

  #startHeartbeat(): void {
    if (this.#heartbeatMs === 0) return

    clearInterval(this.#heartbeat)
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs)
    this.#heartbeat.unref()
  }

  /** Checks the subscription answers, then syncs; a silent one is reopened. */
  #beat(): void {
    const generation = this.#generation

    call(this.#subscriber, 'heartbeat', this.#heartbeatMs, undefined, () =>
      this.#subscriber.ping(),
    ).then(
      () => this.#resync(generation),
      (error: unknown) => {
        if (this.#closed || generation !== this.#generation) return
        this.#report(error, 'heartbeat')
        this.#subscriber.disconnect(true)
      },
    )
  }

  #setState(state: RedisBusState): void {
    if (state === this.#state) return

    this.#state = state
    this.#since = this.#clock.now()
  }

  #report(error: unknown, during: string): void {
    this.#lastError = error instanceof Error ? error.message : String(error)
    this.#events.emit('error', { error, during })
  }
}

function parseSync(raw: unknown): SyncReply {
  const [epoch, sequence, verdict, log] = (Array.isArray(raw) ? raw : []) as unknown[]
  if (
    typeof epoch !== 'string' ||
    typeof sequence !== 'number' ||
    (verdict !== 'current' && verdict !== 'reset' && verdict !== 'replay')
  ) {
    throw new RedisUnavailableError('sync', 'the sync script answered in an unexpected shape')
  }

  return { epoch, sequence, verdict, log: Array.isArray(log) ? (log as string[]) : [] }
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

import { randomUUID } from 'node:crypto'
import type {
  BusSubscriber,
  InvalidationBus,
  InvalidationMessage,
  PublishReport,
} from '@ballast/cache'
import type { Redis } from 'ioredis'
import { PendingAcks } from './acks'
import { PUBLISH } from './bus-scripts'
import type { Envelope, SyncOutcome } from './bus-sequence'
import { call } from './call'
import { Emitter } from './emitter'
import { RedisClosedError, RedisUnavailableError } from './errors'
import { checkShape, type HealthCheck, type HealthCheckOptions } from './health'
import { checkRedis } from './options'
import type { RedisBusEvents } from './redis-bus-events'
import { type RedisBusOptions, resolveRedisBusOptions } from './redis-bus-options'
import { BusSubscription } from './redis-bus-subscription'

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
  readonly #channel: string
  readonly #keys: readonly [string, string]
  readonly #timeoutMs: number
  readonly #logLength: number
  readonly #acks: PendingAcks
  readonly #subscription: BusSubscription
  readonly #subscribers = new Set<BusSubscriber>()
  readonly #events = new Emitter<RedisBusEvents>()
  readonly #waiters = new Set<{ resolve: () => void; reject: (error: unknown) => void }>()
  readonly #clock: { now(): number }

  #state: RedisBusState = 'connecting'
  #since: number
  #published = 0
  #resets = 0
  #lastError: string | undefined
  #closed = false

  constructor(options: RedisBusOptions) {
    this.#redis = checkRedis('createRedisBus', options?.redis)
    this.#clock = options.clock ?? { now: Date.now }
    this.#since = this.#clock.now()
    const resolved = resolveRedisBusOptions(options)
    this.#channel = resolved.channel
    this.#keys = [`${this.#channel}:state`, `${this.#channel}:log`]
    this.#timeoutMs = resolved.timeoutMs
    this.#logLength = resolved.logLength
    this.#acks = new PendingAcks(resolved.maxPendingAcks, resolved.ackTimeoutMs)

    this.#subscription = new BusSubscription({
      redis: this.#redis,
      id: this.id,
      channel: this.#channel,
      ackChannel: `${this.#channel}:ack:${this.id}`,
      keys: this.#keys,
      timeoutMs: this.#timeoutMs,
      heartbeatMs: resolved.heartbeatMs,
      handlers: {
        apply: (envelope) => this.#apply(envelope),
        acknowledge: (envelope) => this.#acknowledge(envelope),
        reset: (reason) => this.#reset(reason),
        confirm: (id, by) => this.#acks.confirm(id, by),
        inStep: (outcome) => this.#inStep(outcome),
        down: (error) => this.#down(error),
        report: (error, during) => this.#report(error, during),
      },
    })
    this.#subscription.start()
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
      sequence: this.#subscription.applied,
      pendingAcks: this.#acks.size,
      resets: this.#resets,
      replayed: this.#subscription.replayed,
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
    this.#subscription.halt()

    this.#acks.closeAll()
    this.#subscribers.clear()
    this.#setState('closed')
    for (const waiter of this.#waiters) waiter.reject(new RedisClosedError('ready'))
    this.#waiters.clear()

    this.#subscription.disconnect()
  }

  /** The subscription was lost: down until it is in step again. */
  #down(error: unknown): void {
    if (this.#state !== 'down') {
      this.#lastError = error instanceof Error ? error.message : String(error)
      this.#setState('down')
      this.#events.emit('down', { error })
    }
  }

  /** In step after a sync: listening, and the subscribers hear of what they missed. */
  #inStep(outcome: SyncOutcome): void {
    const started = this.#state !== 'listening'
    this.#setState('listening')

    if (started) {
      for (const waiter of this.#waiters) waiter.resolve()
      this.#waiters.clear()
      this.#subscription.startHeartbeat()
    }
    if (started || outcome.reset || outcome.replayed > 0) {
      this.#events.emit('synced', outcome)
      this.#tell('telling a subscriber it is connected', (subscriber) => subscriber.connected())
    }
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

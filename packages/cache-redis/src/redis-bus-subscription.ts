import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { SYNC } from './bus-scripts'
import {
  type Envelope,
  MessageSequence,
  parseEnvelope,
  type SyncOutcome,
  type SyncReply,
} from './bus-sequence'
import { call } from './call'
import { RedisUnavailableError } from './errors'

/** At most this many messages are held while a sync is under way. */
const MAX_HELD = 10_000

/** What a {@link BusSubscription} tells its bus. */
export interface SubscriptionHandlers {
  /** Hands a message, in order, to the subscribers. */
  apply(envelope: Envelope): void
  /** Confirms a message received live to its sender. */
  acknowledge(envelope: Envelope): void
  /** Tells the subscribers they may have missed messages. */
  reset(reason: string): void
  /** Instance `by` confirmed this bus's message `id`. */
  confirm(id: string, by: string): void
  /** The subscription got in step after a sync. */
  inStep(outcome: SyncOutcome): void
  /** The subscription connection closed; it reconnects on its own. */
  down(error: unknown): void
  /** Something failed and the subscription carried on. */
  report(error: unknown, during: string): void
}

/** What a {@link BusSubscription} needs from its bus. */
export interface SubscriptionOptions {
  /** The command connection: the sync script runs on it. */
  readonly redis: Redis
  /** The bus's id, naming its connection. */
  readonly id: string
  readonly channel: string
  /** The channel this bus's confirmations arrive on. */
  readonly ackChannel: string
  /** The channel's state and log keys. */
  readonly keys: readonly [string, string]
  readonly timeoutMs: number
  /** `0` turns the heartbeat off. */
  readonly heartbeatMs: number
  readonly handlers: SubscriptionHandlers
}

/**
 * A bus's subscription: its own connection, a `duplicate()` of the command one, and the
 * work of keeping it in step. Whenever the connection is ready it subscribes and then syncs
 * (a sync that fails is retried, 100 ms doubling to 2 s); a heartbeat pings it and syncs
 * again, and reopens a connection that does not answer. Each connection has a generation
 * number: whatever an older one finishes afterwards is ignored.
 */
export class BusSubscription {
  readonly #redis: Redis
  readonly #subscriber: Redis
  readonly #channel: string
  readonly #ackChannel: string
  readonly #keys: readonly [string, string]
  readonly #timeoutMs: number
  readonly #heartbeatMs: number
  readonly #handlers: SubscriptionHandlers
  readonly #sequence: MessageSequence

  #generation = 0
  #syncing: number | undefined
  #retryDelayMs = 100
  #retry: ReturnType<typeof setTimeout> | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #replayed = 0
  #halted = false

  constructor(options: SubscriptionOptions) {
    this.#redis = options.redis
    this.#channel = options.channel
    this.#ackChannel = options.ackChannel
    this.#keys = options.keys
    this.#timeoutMs = options.timeoutMs
    this.#heartbeatMs = options.heartbeatMs
    const handlers = options.handlers
    this.#handlers = handlers
    this.#sequence = new MessageSequence(
      {
        apply: (envelope) => handlers.apply(envelope),
        acknowledge: (envelope) => handlers.acknowledge(envelope),
        reset: (reason) => handlers.reset(reason),
        resync: () => void this.#resync(this.#generation),
      },
      MAX_HELD,
    )

    this.#subscriber = this.#redis.duplicate({
      autoResubscribe: false,
      lazyConnect: true,
      connectionName: `ballast-bus-${options.id}`,
    })
    this.#subscriber.on('ready', () => void this.#connected())
    this.#subscriber.on('close', () => this.#lost(new Error('the subscriber connection closed')))
    this.#subscriber.on('error', (error: unknown) =>
      handlers.report(error, 'the subscriber connection'),
    )
    this.#subscriber.on('message', (channel: string, text: string) => this.#message(channel, text))
  }

  /** The sequence number of the last message applied. */
  get applied(): number {
    return this.#sequence.applied
  }

  /** Missed messages replayed from the log. */
  get replayed(): number {
    return this.#replayed
  }

  /** Opens the connection; being ready, it subscribes. */
  start(): void {
    this.#subscriber.connect().catch(() => undefined)
  }

  /** Stops every timer and ignores whatever a connection under way finishes afterwards. */
  halt(): void {
    this.#halted = true
    this.#generation++

    clearTimeout(this.#retry)
    clearInterval(this.#heartbeat)
  }

  /** Closes the connection without reacting to it. */
  disconnect(): void {
    for (const name of ['ready', 'close', 'message']) this.#subscriber.removeAllListeners(name)
    this.#subscriber.disconnect()
  }

  /** Checks the subscription every `heartbeatMs`, unless that is `0`. */
  startHeartbeat(): void {
    if (this.#heartbeatMs === 0) return

    clearInterval(this.#heartbeat)
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs)
    this.#heartbeat.unref()
  }

  /** The subscriber connection is ready, the first time or again: subscribe, then sync. */
  async #connected(): Promise<void> {
    const generation = ++this.#generation
    this.#sequence.restart()

    try {
      await this.#subscriber.subscribe(this.#channel, this.#ackChannel)
    } catch (error) {
      if (generation !== this.#generation || this.#halted) return
      this.#handlers.report(error, 'subscribing')
      this.#subscriber.disconnect(true)
      return
    }

    if (generation === this.#generation && !this.#halted) await this.#resync(generation)
  }

  #lost(error: unknown): void {
    if (this.#halted) return

    this.#generation++
    this.#syncing = undefined
    clearTimeout(this.#retry)
    this.#retry = undefined
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    this.#sequence.restart()

    this.#handlers.down(error)
  }

  /** Runs the sync script, retrying with backoff while the command connection fails. */
  async #resync(generation: number): Promise<void> {
    if (this.#halted || generation !== this.#generation || this.#syncing === generation) return
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
      if (this.#halted || generation !== this.#generation) return

      this.#handlers.report(error, 'resynchronising')
      this.#retry = setTimeout(() => {
        this.#retry = undefined
        void this.#resync(generation)
      }, this.#retryDelayMs)
      this.#retry.unref()
      this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, 2_000)
      return
    }

    if (this.#syncing === generation) this.#syncing = undefined
    if (this.#halted || generation !== this.#generation) return

    const outcome = this.#sequence.synced(reply)
    this.#replayed += outcome.replayed
    if (!this.#sequence.inStep) return

    this.#retryDelayMs = 100
    this.#handlers.inStep(outcome)
  }

  #message(channel: string, text: string): void {
    if (channel === this.#ackChannel) {
      const [id, by] = text.split(' ')
      if (id !== undefined && by !== undefined) this.#handlers.confirm(id, by)
      return
    }
    if (channel !== this.#channel) return

    const envelope = parseEnvelope(text)
    if (envelope === undefined) {
      // Its number is unknown; the next message or heartbeat finds the gap and syncs.
      this.#handlers.report(new Error(`an unreadable message on ${channel}`), 'receiving')
      return
    }

    this.#sequence.receive(envelope)
  }

  /** Checks the subscription answers, then syncs; a silent one is reopened. */
  #beat(): void {
    const generation = this.#generation

    call(this.#subscriber, 'heartbeat', this.#heartbeatMs, undefined, () =>
      this.#subscriber.ping(),
    ).then(
      () => this.#resync(generation),
      (error: unknown) => {
        if (this.#halted || generation !== this.#generation) return
        this.#handlers.report(error, 'heartbeat')
        this.#subscriber.disconnect(true)
      },
    )
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

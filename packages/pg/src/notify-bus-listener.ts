import type { MemberTable } from './notify-bus-members'
import type { Queryable } from './queryable'

/** The longest wait between two attempts to listen again, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 5_000

/** What a {@link Listener} tells its bus. */
export interface ListenerHandlers {
  /** A notification arrived on the channel. */
  notification(payload: string): void
  /** Listening and registered as a member, the first time or again. */
  listening(): void
  /** Listening failed or broke; the listener listens again on its own, after a backoff. */
  down(error: unknown): void
  /** Something failed and the listener carried on. */
  report(error: unknown, during: string): void
}

/** What a {@link Listener} needs from its bus. */
export interface ListenerOptions {
  readonly listen: NonNullable<Queryable['listen']>
  readonly channel: string
  /** This member's id, which its own pings carry. */
  readonly member: string
  readonly members: MemberTable
  readonly heartbeatMs: number
  readonly reconnectDelayMs: number
  readonly handlers: ListenerHandlers
}

/**
 * A member's subscription to the channel, kept alive. It listens first and then registers
 * in the member table, in that order, before it counts as listening. Every `heartbeatMs`
 * it renews its lease and sends itself a ping; a ping that never came back means the
 * listening connection stopped delivering, and it is reopened. After a failure it listens
 * again after `reconnectDelayMs`, doubling per failed attempt up to 5 s. Each attempt has a
 * generation number: whatever an older attempt finishes afterwards is ignored.
 */
export class Listener {
  readonly #listen: NonNullable<Queryable['listen']>
  readonly #channel: string
  readonly #member: string
  readonly #members: MemberTable
  readonly #heartbeatMs: number
  readonly #reconnectDelayMs: number
  readonly #handlers: ListenerHandlers

  #generation = 0
  #unlisten: (() => Promise<void>) | undefined
  #attempt = 0
  #retry: ReturnType<typeof setTimeout> | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #pingSent = 0
  #pingHeard = 0
  #halted = false

  constructor(options: ListenerOptions) {
    this.#listen = options.listen
    this.#channel = options.channel
    this.#member = options.member
    this.#members = options.members
    this.#heartbeatMs = options.heartbeatMs
    this.#reconnectDelayMs = options.reconnectDelayMs
    this.#handlers = options.handlers
  }

  /** Starts the first attempt to listen. */
  start(): void {
    void this.#connect(this.#generation)
  }

  /** Records that this member's own ping number `ping` came back. */
  heard(ping: number): void {
    this.#pingHeard = Math.max(this.#pingHeard, ping)
  }

  /** Stops every timer and ignores whatever an attempt under way finishes afterwards. */
  halt(): void {
    this.#halted = true
    this.#generation++

    clearTimeout(this.#retry)
    clearInterval(this.#heartbeat)
  }

  /** Stops listening and leaves the member table; settles when both are done. */
  release(): Promise<unknown> {
    const unlisten = this.#unlisten
    this.#unlisten = undefined

    return Promise.allSettled([unlisten?.(), this.#members.leave()])
  }

  /** Listens, registers as a member, then tells the bus it is listening: in that order. */
  async #connect(generation: number): Promise<void> {
    try {
      if (!this.#members.created) await this.#members.create()

      const unlisten = await this.#listen(
        this.#channel,
        (payload) => this.#handlers.notification(payload),
        (error) => this.#lost(generation, error),
      )
      if (this.#halted || generation !== this.#generation) {
        await unlisten()
        return
      }
      this.#unlisten = unlisten

      await this.#members.join()
    } catch (error) {
      if (this.#halted || generation !== this.#generation) return
      this.#lost(generation, error)
      return
    }
    if (this.#halted || generation !== this.#generation) return

    this.#listening()
  }

  #listening(): void {
    this.#attempt = 0
    this.#pingSent = 0
    this.#pingHeard = 0
    this.#handlers.listening()

    clearInterval(this.#heartbeat)
    this.#heartbeat = setInterval(() => void this.#beat(), this.#heartbeatMs)
    this.#heartbeat.unref()
  }

  /** The subscription failed or broke: down until it listens again after a backoff. */
  #lost(generation: number, error: unknown): void {
    if (this.#halted || generation !== this.#generation) return

    const next = ++this.#generation
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    const unlisten = this.#unlisten
    this.#unlisten = undefined
    unlisten?.().catch(() => undefined)
    void this.#members.leave()

    this.#handlers.down(error)

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
      await this.#members.renew(JSON.stringify({ t: 'p', f: this.#member, n: ping }))
      if (generation === this.#generation) this.#pingSent = Math.max(this.#pingSent, ping)
    } catch (error) {
      this.#handlers.report(error, 'renewing the lease')
    }
  }
}

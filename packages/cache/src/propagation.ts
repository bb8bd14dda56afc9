import type { InvalidationBus, InvalidationMessage, PublishReport } from './bus'
import { abandonable } from './flight'
import {
  CacheInvalidationPendingError,
  CacheInvalidationUnconfirmedError,
} from './propagation-errors'
import type { SharedStore } from './store'
import { Standing } from './tag-versions'

/** The first wait before delivering the outbox again, in milliseconds; it doubles per failure. */
const FIRST_RETRY_MS = 50

/** The longest wait between two delivery attempts, in milliseconds. */
const LAST_RETRY_MS = 2_000

/** Bytes charged per pending invalidation, on top of two per character of its names. */
const MESSAGE_OVERHEAD_BYTES = 64

interface Pending {
  readonly message: InvalidationMessage
  readonly bytes: number
  /** True once the shared store recorded it, or from the start when there is no store. */
  stored: boolean
  /** True while its tags and keys are held against the shared store's entries. */
  held: boolean
  /**
   * Bumped when a later invalidation is folded into this one (an invalidation of
   * everything): a delivery that started before must be done again to cover it.
   */
  round: number
}

/** What {@link Propagation} needs from its cache. */
export interface PropagationOptions {
  readonly store: SharedStore | undefined
  readonly bus: InvalidationBus | undefined
  readonly maxPendingBytes: number
  readonly report: (error: unknown, during: string) => void
}

/**
 * Carries this instance's invalidations to the shared store and then to the bus, in that
 * order, so that an instance told by the bus to drop an entry never reads it back from the
 * store. What cannot be delivered now waits in an outbox and is delivered, in order, when
 * the connection returns: on a retry timer (50 ms doubling to 2 s, never keeping the process
 * alive) and at once when the bus reports it is connected again.
 *
 * The outbox holds at most `maxPendingBytes` of tags and keys. When an invalidation would
 * pass that bound, the whole outbox is replaced by one invalidation of everything (`all`),
 * which is always correct: every instance drops its memory tier and the store forgets the
 * namespace when it is delivered. Later failures fold into it, and a fold makes a delivery
 * already under way start over, so that what the store and the other instances forget
 * includes the newest write. Nothing is ever dropped silently.
 *
 * Until the store has recorded an invalidation, this instance does not trust the store's
 * entries it reaches (see {@link Propagation.standing}); after that the store judges them
 * itself.
 */
export class Propagation {
  readonly #store: SharedStore | undefined
  readonly #bus: InvalidationBus | undefined
  readonly #maxPendingBytes: number
  readonly #report: (error: unknown, during: string) => void
  readonly #holds = new Holds()

  #queue: Pending[] = []
  #bytes = 0
  #flushing = false
  #timer: ReturnType<typeof setTimeout> | undefined
  #delayMs = FIRST_RETRY_MS
  #drained: { promise: Promise<void>; settle: (error?: unknown) => void } | undefined
  #closed = false

  constructor(options: PropagationOptions) {
    this.#store = options.store
    this.#bus = options.bus
    this.#maxPendingBytes = options.maxPendingBytes
    this.#report = options.report
  }

  /** Invalidations waiting in the outbox. */
  get pending(): number {
    return this.#queue.length
  }

  /**
   * How an entry of the shared store with these tags and key stands against this instance's
   * invalidations the store has not recorded yet.
   */
  standing(tags: readonly string[], key: string): Standing {
    return this.#holds.standing(tags, key)
  }

  /**
   * Delivers one invalidation, already applied locally. Rejects with a
   * `CacheInvalidationPendingError` when it went to the outbox instead, and with a
   * `CacheInvalidationUnconfirmedError` when the bus delivered it but not every receiver
   * confirmed.
   */
  async send(message: InvalidationMessage): Promise<void> {
    const item: Pending = {
      message,
      bytes: bytesOf(message),
      stored: this.#store === undefined,
      held: false,
      round: 0,
    }

    if (!item.stored) this.#hold(item)

    let report: PublishReport | undefined
    try {
      report = await this.#deliver(item)
    } catch (error) {
      this.#enqueue(item)
      throw new CacheInvalidationPendingError(message.tags, message.keys, error)
    }

    if (report !== undefined && report.acknowledged < report.receivers) {
      throw new CacheInvalidationUnconfirmedError(report)
    }
  }

  /** Resolves once the outbox is empty; rejects if the cache closes first. */
  whenPropagated(signal?: AbortSignal): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve()
    if (this.#closed) return Promise.reject(this.#closedError())

    if (this.#drained === undefined) {
      let settle!: (error?: unknown) => void
      const promise = new Promise<void>((resolve, reject) => {
        settle = (error) => (error === undefined ? resolve() : reject(error))
      })
      this.#drained = { promise, settle }
    }

    return abandonable(this.#drained.promise, signal)
  }

  /** The connection is back: delivers the outbox now instead of at the next retry. */
  nudge(): void {
    if (this.#closed || this.#queue.length === 0) return

    clearTimeout(this.#timer)
    this.#timer = undefined
    void this.#flush()
  }

  /** Stops retrying. What is still pending is reported as an error and not delivered. */
  close(): void {
    if (this.#closed) return
    this.#closed = true

    clearTimeout(this.#timer)
    this.#timer = undefined

    if (this.#queue.length > 0) {
      const error = this.#closedError()
      this.#report(error, 'closing the cache')
      this.#drained?.settle(error)
      this.#drained = undefined
    }
  }

  async #deliver(item: Pending): Promise<PublishReport | undefined> {
    const round = item.round

    if (!item.stored) {
      await (this.#store as SharedStore).invalidate(item.message)
      if (item.round === round) {
        item.stored = true
        this.#release(item)
      }
    }

    return this.#bus?.publish(item.message)
  }

  #enqueue(item: Pending): void {
    if (this.#queue[0]?.message.all === true) {
      this.#fold(item, this.#queue[0])
    } else if (this.#bytes + item.bytes > this.#maxPendingBytes) {
      this.#collapse(item)
    } else {
      this.#queue.push(item)
      this.#bytes += item.bytes
    }

    this.#schedule()
  }

  /** Replaces the outbox and `item` by one invalidation of everything. */
  #collapse(item: Pending): void {
    for (const queued of this.#queue) this.#release(queued)
    this.#release(item)

    const everything: Pending = {
      message: { ...item.message, tags: [], keys: [], mode: 'hard', all: true },
      bytes: MESSAGE_OVERHEAD_BYTES,
      stored: this.#store === undefined,
      held: false,
      round: 0,
    }
    if (!everything.stored) this.#hold(everything)

    this.#queue = [everything]
    this.#bytes = everything.bytes
  }

  /**
   * Lets the waiting invalidation of everything cover `item` too. Entries loaded since the
   * store last forgot everything may predate `item`'s write, so the store must forget again.
   */
  #fold(item: Pending, everything: Pending): void {
    this.#release(item)
    everything.round += 1

    if (this.#store !== undefined && everything.stored) {
      everything.stored = false
      this.#hold(everything)
    }
  }

  #schedule(): void {
    if (this.#closed || this.#flushing || this.#timer !== undefined) return

    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#flush()
    }, this.#delayMs)
    this.#timer.unref?.()
    this.#delayMs = Math.min(this.#delayMs * 2, LAST_RETRY_MS)
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return
    this.#flushing = true

    const delivered = await this.#deliverQueue()
    this.#flushing = false

    if (!delivered) {
      this.#schedule()
    } else if (this.#queue.length === 0) {
      this.#delayMs = FIRST_RETRY_MS
      this.#drained?.settle()
      this.#drained = undefined
    }
  }

  /** Delivers the outbox in order; false when an attempt failed and a retry is due. */
  async #deliverQueue(): Promise<boolean> {
    while (this.#queue.length > 0 && !this.#closed) {
      const item = this.#queue[0] as Pending
      const round = item.round

      try {
        const report = await this.#deliver(item)
        if (report !== undefined && report.acknowledged < report.receivers) {
          this.#report(new CacheInvalidationUnconfirmedError(report), 'delivering the outbox')
        }
      } catch (error) {
        this.#report(error, 'delivering the outbox')
        return false
      }

      // A collapse while it was under way replaced the outbox, or a fold asked for another
      // round: the head stays, and is delivered again.
      if (this.#queue[0] === item && item.round === round) {
        this.#queue.shift()
        this.#bytes -= item.bytes
      }
    }

    return true
  }

  #hold(item: Pending): void {
    item.held = true
    this.#holds.add(item.message, 1)
  }

  #release(item: Pending): void {
    if (!item.held) return

    item.held = false
    this.#holds.add(item.message, -1)
  }

  #closedError(): CacheInvalidationPendingError {
    const error = new Error(`The cache closed with ${this.#queue.length} undelivered invalidations`)

    return new CacheInvalidationPendingError([], [], error)
  }
}

/** Counts of the tags and keys of invalidations the shared store has not recorded yet. */
class Holds {
  readonly #tags = new Map<string, Count>()
  readonly #keys = new Map<string, Count>()
  #everything = 0

  add(message: InvalidationMessage, delta: 1 | -1): void {
    if (message.all === true) {
      this.#everything += delta
      return
    }

    const hard = message.mode === 'hard'
    for (const tag of message.tags) change(this.#tags, tag, delta, hard)
    for (const key of message.keys) change(this.#keys, key, delta, hard)
  }

  standing(tags: readonly string[], key: string): Standing {
    if (this.#everything > 0) return Standing.HardInvalidated
    if (this.#tags.size === 0 && this.#keys.size === 0) return Standing.Current

    let standing: Standing = standingOf(this.#keys.get(key))
    for (const tag of tags) {
      if (standing === Standing.HardInvalidated) break
      standing = Math.max(standing, standingOf(this.#tags.get(tag))) as Standing
    }

    return standing
  }
}

interface Count {
  any: number
  hard: number
}

function change(counts: Map<string, Count>, name: string, delta: 1 | -1, hard: boolean): void {
  const count = counts.get(name) ?? { any: 0, hard: 0 }
  count.any += delta
  if (hard) count.hard += delta

  if (count.any === 0) counts.delete(name)
  else counts.set(name, count)
}

function standingOf(count: Count | undefined): Standing {
  if (count === undefined) return Standing.Current

  return count.hard > 0 ? Standing.HardInvalidated : Standing.SoftInvalidated
}

function bytesOf(message: InvalidationMessage): number {
  let characters = message.namespace.length + message.origin.length
  for (const tag of message.tags) characters += tag.length
  for (const key of message.keys) characters += key.length

  return MESSAGE_OVERHEAD_BYTES + 2 * characters
}

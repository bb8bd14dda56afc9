import type { InvalidationMessage } from '@ballast/cache'

/** What a published payload carries besides the invalidation. */
export interface Body {
  /** The message's id at its sender, for confirmations. */
  readonly id: string
  /** The sending bus. */
  readonly from: string
  /** The invalidation. */
  readonly message: InvalidationMessage
}

/** One message as the channel carries it: `"<epoch> <sequence> <json body>"`. */
export interface Envelope {
  readonly epoch: string
  readonly sequence: number
  /** The body, or `undefined` when it could not be read. */
  readonly body: Body | undefined
}

/** What the sync script answered. */
export interface SyncReply {
  readonly epoch: string
  readonly sequence: number
  readonly verdict: 'current' | 'reset' | 'replay'
  /** The missed messages, newest first, with `replay`. */
  readonly log: readonly string[]
}

/** How a sync brought the sequence back in step. */
export interface SyncOutcome {
  /** Missed messages applied from the log. */
  readonly replayed: number
  /** True when the subscribers were told to reset instead. */
  readonly reset: boolean
}

/** What a {@link MessageSequence} asks its bus to do. */
export interface SequenceHandlers {
  /** Hands a message, in order, to the subscribers. */
  apply(envelope: Envelope): void
  /** Confirms a message received live to its sender. */
  acknowledge(envelope: Envelope): void
  /** Tells the subscribers they may have missed messages. */
  reset(reason: string): void
  /** Runs the sync script and hands its answer to {@link MessageSequence.synced}. */
  resync(): void
}

/** Reads an envelope; `undefined` when even its epoch and sequence cannot be read. */
export function parseEnvelope(text: string): Envelope | undefined {
  const first = text.indexOf(' ')
  const second = text.indexOf(' ', first + 1)
  if (first <= 0 || second <= first) return undefined

  const sequence = Number(text.slice(first + 1, second))
  if (!Number.isSafeInteger(sequence) || sequence <= 0) return undefined

  return { epoch: text.slice(0, first), sequence, body: parseBody(text.slice(second + 1)) }
}

function parseBody(json: string): Body | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch {
    return undefined
  }

  const { i, f, m } = (raw ?? {}) as { i?: unknown; f?: unknown; m?: Partial<InvalidationMessage> }
  const valid =
    typeof i === 'string' &&
    typeof f === 'string' &&
    typeof m?.namespace === 'string' &&
    typeof m.origin === 'string' &&
    Array.isArray(m.tags) &&
    Array.isArray(m.keys) &&
    (m.mode === 'hard' || m.mode === 'soft')

  return valid ? { id: i, from: f, message: m as InvalidationMessage } : undefined
}

/**
 * Keeps one subscription's messages in order. Each message carries the channel's epoch and
 * the next number of its sequence; while they follow on from the last one applied, they are
 * applied and confirmed. A message from another epoch or past a gap, and every new
 * connection, start a sync: messages are held until the sync script answers, then the
 * missed ones are replayed from the log, or, when the log no longer has them all, the
 * subscribers are told to reset; then the held messages are handled, the ones already
 * covered only confirmed. At most `maxHeld` messages are held; past that they are dropped
 * and a second sync recovers them from the log (or resets).
 */
export class MessageSequence {
  readonly #handlers: SequenceHandlers
  readonly #maxHeld: number
  #epoch: string | undefined
  #applied = 0
  #syncing = true
  #held: Envelope[] = []
  #overflowed = false

  constructor(handlers: SequenceHandlers, maxHeld: number) {
    this.#handlers = handlers
    this.#maxHeld = maxHeld
  }

  /** The epoch of the last message applied, if any. */
  get epoch(): string | undefined {
    return this.#epoch
  }

  /** The sequence number of the last message applied. */
  get applied(): number {
    return this.#applied
  }

  /** False while a sync is under way. */
  get inStep(): boolean {
    return !this.#syncing
  }

  /** Holds messages from now until the next {@link MessageSequence.synced}. */
  hold(): void {
    this.#syncing = true
  }

  /** A new connection: what was held belongs to the old one. */
  restart(): void {
    this.#syncing = true
    this.#held = []
    this.#overflowed = false
  }

  /** A message arrived on the subscription. */
  receive(envelope: Envelope): void {
    if (this.#syncing) {
      this.#keep(envelope)
      return
    }

    if (envelope.epoch !== this.#epoch || envelope.sequence > this.#applied + 1) {
      this.#syncing = true
      this.#keep(envelope)
      this.#handlers.resync()
      return
    }

    if (envelope.sequence === this.#applied + 1) {
      this.#handlers.apply(envelope)
      this.#applied = envelope.sequence
    }
    this.#handlers.acknowledge(envelope)
  }

  /** The sync script answered: gets back in step, then handles what was held. */
  synced(reply: SyncReply): SyncOutcome {
    const outcome =
      reply.verdict === 'replay'
        ? this.#replay(reply)
        : { replayed: 0, reset: reply.verdict === 'reset' }
    if (outcome.reset) this.#handlers.reset(this.#resetReason(reply))

    this.#epoch = reply.epoch
    this.#applied = reply.sequence
    this.#syncing = false

    const held = this.#held
    const overflowed = this.#overflowed
    this.#held = []
    this.#overflowed = false
    for (const envelope of held) this.receive(envelope)

    if (overflowed && !this.#syncing) {
      this.#syncing = true
      this.#handlers.resync()
    }

    return outcome
  }

  #keep(envelope: Envelope): void {
    if (this.#held.length < this.#maxHeld) this.#held.push(envelope)
    else this.#overflowed = true
  }

  /** Applies the missed messages, oldest first, if the log has exactly them. */
  #replay(reply: SyncReply): SyncOutcome {
    const missed = reply.log.map(parseEnvelope).reverse()
    const complete = missed.every(
      (envelope, index) =>
        envelope !== undefined &&
        envelope.body !== undefined &&
        envelope.epoch === reply.epoch &&
        envelope.sequence === this.#applied + 1 + index,
    )
    if (!complete || this.#applied + missed.length !== reply.sequence) {
      return { replayed: 0, reset: true }
    }

    for (const envelope of missed) this.#handlers.apply(envelope as Envelope)

    return { replayed: missed.length, reset: false }
  }

  #resetReason(reply: SyncReply): string {
    if (this.#epoch === undefined) return 'subscribed: earlier messages are unknown'
    if (reply.epoch !== this.#epoch) return 'the channel state in Redis was lost or replaced'
    if (reply.sequence < this.#applied) return 'the channel sequence in Redis went back'

    return 'missed more messages than the log keeps'
  }
}

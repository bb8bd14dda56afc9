import { NotifyBusUnavailableError } from './notify-bus-errors'
import type { MemberTable } from './notify-bus-members'
import type { NotifyBusMessage, NotifyBusReport } from './notify-bus-message'
import { split } from './notify-bus-notes'
import type { Queryable } from './queryable'

interface Waiting {
  readonly confirmed: Set<string>
  /** Called on each confirmation, once a publish waits for this message. */
  check: (() => void) | undefined
}

/** What {@link Publisher} needs from its bus. */
export interface PublisherOptions {
  readonly db: Queryable
  readonly members: MemberTable
  readonly channel: string
  /** The publishing member's id, which confirmations are addressed to. */
  readonly member: string
  readonly ackTimeoutMs: number
  readonly maxPendingAcks: number
}

/**
 * Publishes invalidations and collects their confirmations. A publish reads the live
 * members and sends its notifications in one transaction, then waits until every one of
 * those members confirmed every part, or `ackTimeoutMs` passed. At most `maxPendingAcks`
 * parts wait at once; a message that would pass that bound is sent without waiting, and
 * its report says nobody confirmed.
 */
export class Publisher {
  readonly #db: Queryable
  readonly #members: MemberTable
  readonly #channel: string
  readonly #member: string
  readonly #ackTimeoutMs: number
  readonly #maxPendingAcks: number
  readonly #pending = new Map<string, Waiting>()
  #published = 0

  constructor(options: PublisherOptions) {
    this.#db = options.db
    this.#members = options.members
    this.#channel = options.channel
    this.#member = options.member
    this.#ackTimeoutMs = options.ackTimeoutMs
    this.#maxPendingAcks = options.maxPendingAcks
  }

  /** Message parts waiting for confirmations. */
  get pending(): number {
    return this.#pending.size
  }

  /** Sends `message` to every live member and reports who applied it. */
  async publish(message: NotifyBusMessage): Promise<NotifyBusReport> {
    const chunks = split(message).map((part) => ({ id: `${++this.#published}`, part }))
    const waiting = this.#pending.size + chunks.length <= this.#maxPendingAcks
    if (waiting) {
      for (const { id } of chunks) this.#pending.set(id, { confirmed: new Set(), check: undefined })
    }

    let members: string[]
    try {
      members = await this.#db.transaction(async (tx) => {
        const live = await this.#members.live(tx)
        for (const { id, part } of chunks) {
          const payload = JSON.stringify({ t: 'm', i: id, f: this.#member, m: part })
          await tx.query('select pg_notify($1, $2)', [this.#channel, payload])
        }
        return live
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

  /** Records that `member` applied part `id`. */
  confirm(id: string, member: string): void {
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
}

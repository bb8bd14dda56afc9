import type { PublishReport } from '@ballast/cache'

interface Pending {
  readonly acknowledged: Set<string>
  receivers: number | undefined
  resolve: ((report: PublishReport) => void) | undefined
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * The confirmations a bus is waiting for, by message id. Bounded: at most `max` messages
 * wait at once (each entry is a few hundred bytes plus 40 per confirming instance); a
 * message published while the table is full is not waited for, and its report says nobody
 * confirmed, so `invalidate()` rejects as unconfirmed instead of memory growing.
 */
export class PendingAcks {
  readonly #pending = new Map<string, Pending>()

  constructor(
    readonly max: number,
    readonly timeoutMs: number,
  ) {}

  /** Messages waiting for confirmations. */
  get size(): number {
    return this.#pending.size
  }

  /** Starts collecting confirmations of `id`, before it is published; false when full. */
  open(id: string): boolean {
    if (this.#pending.size >= this.max) return false

    this.#pending.set(id, {
      acknowledged: new Set(),
      receivers: undefined,
      resolve: undefined,
      timer: undefined,
    })
    return true
  }

  /** Forgets `id`: it could not be published. */
  cancel(id: string): void {
    const pending = this.#pending.get(id)
    if (pending !== undefined) clearTimeout(pending.timer)
    this.#pending.delete(id)
  }

  /**
   * Resolves once `receivers` confirmations of `id` arrived, or with those that did when
   * `timeoutMs` passed (the timer never keeps the process alive).
   */
  wait(id: string, receivers: number): Promise<PublishReport> {
    const pending = this.#pending.get(id)
    if (pending === undefined) return Promise.resolve({ receivers, acknowledged: 0 })

    return new Promise((resolve) => {
      pending.receivers = receivers
      pending.resolve = resolve
      pending.timer = setTimeout(() => this.#finish(id), this.timeoutMs)
      pending.timer.unref()
      this.#check(id, pending)
    })
  }

  /** Records that instance `by` applied message `id`. */
  confirm(id: string, by: string): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return

    pending.acknowledged.add(by)
    this.#check(id, pending)
  }

  /** Settles every wait with what arrived so far. */
  closeAll(): void {
    for (const id of [...this.#pending.keys()]) this.#finish(id)
  }

  #check(id: string, pending: Pending): void {
    if (pending.receivers !== undefined && pending.acknowledged.size >= pending.receivers) {
      this.#finish(id)
    }
  }

  #finish(id: string): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return

    this.#pending.delete(id)
    clearTimeout(pending.timer)
    const receivers = pending.receivers ?? 0
    pending.resolve?.({ receivers, acknowledged: Math.min(pending.acknowledged.size, receivers) })
  }
}

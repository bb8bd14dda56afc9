/** A pending call that must fail when its caller's signal aborts. */
export interface Follower {
  /** The neighbours in the list of calls following the same signal. */
  previous: Follower | undefined
  next: Follower | undefined
  /** The link this call is in, while it is in one. */
  link: SignalLink | undefined
  /** Fails the call with the signal's reason. */
  abort(reason: unknown): void
}

/**
 * The one abort listener a caller's signal gets, however many pending calls
 * share it: calls join an intrusive list in O(1) and the listener is removed
 * when the last one leaves. A long-lived signal shared by thousands of calls
 * thus never trips `MaxListenersExceededWarning`, and only the first and last
 * call pay for `addEventListener` and `removeEventListener`.
 */
class SignalLink {
  readonly signal: AbortSignal
  head: Follower | undefined

  constructor(signal: AbortSignal) {
    this.signal = signal
  }

  handleEvent(): void {
    let call = this.head
    this.detach()

    while (call !== undefined) {
      const next = call.next
      call.previous = undefined
      call.next = undefined
      call.link = undefined
      call.abort(this.signal.reason)
      call = next
    }
  }

  detach(): void {
    this.head = undefined
    links.delete(this.signal)
    this.signal.removeEventListener('abort', this)
  }
}

const links = new WeakMap<AbortSignal, SignalLink>()

/** Makes `call` fail when `signal` aborts, until {@link unfollow} is called. */
export function follow(call: Follower, signal: AbortSignal): void {
  let link = links.get(signal)
  if (link === undefined) {
    link = new SignalLink(signal)
    links.set(signal, link)
    signal.addEventListener('abort', link)
  }

  call.link = link
  call.next = link.head
  if (link.head !== undefined) link.head.previous = call
  link.head = call
}

/** Stops `call` following its signal; the last call out removes the listener. */
export function unfollow(call: Follower): void {
  const link = call.link
  if (link === undefined) return

  if (call.previous === undefined) link.head = call.next
  else call.previous.next = call.next
  if (call.next !== undefined) call.next.previous = call.previous
  call.previous = undefined
  call.next = undefined
  call.link = undefined

  if (link.head === undefined) link.detach()
}

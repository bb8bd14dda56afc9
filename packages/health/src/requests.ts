/**
 * The part of an HTTP response the request tracker uses; Node's
 * `ServerResponse` (Fastify's `reply.raw`) fits.
 */
export interface TrackableResponse {
  /** Whether the status line and headers were written. */
  readonly headersSent: boolean
  /** Sets a header to send with the response. */
  setHeader(name: string, value: string): unknown
  /** Calls `listener` once when the response ends or its connection closes. */
  once(event: 'close', listener: () => void): unknown
}

/**
 * Counts requests in flight for the drain, and asks their clients not to
 * reuse connections once draining: responses not yet started get
 * `connection: close`, so keep-alive clients reconnect through the load
 * balancer instead of holding sockets to an instance that is going away.
 */
export class RequestTracker {
  /** Requests begun and not yet done. */
  inFlight = 0

  private readonly responses = new Set<TrackableResponse>()
  private idleWaiters: Array<() => void> = []
  private draining = false

  /** Counts one request; the returned function marks it done and does nothing a second time. */
  begin(): () => void {
    this.inFlight++

    let done = false
    return () => {
      if (done) return
      done = true
      this.end()
    }
  }

  /** Counts `response` until it closes, and sends it with `connection: close` while draining. */
  track(response: TrackableResponse): void {
    this.inFlight++
    if (this.draining) closeConnection(response)
    this.responses.add(response)

    response.once('close', () => {
      this.responses.delete(response)
      this.end()
    })
  }

  /** Turns `connection: close` on for tracked responses not yet started, and for later ones. */
  startDraining(): void {
    this.draining = true
    for (const response of this.responses) closeConnection(response)
  }

  /** Resolves once no request is in flight (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()

    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private end(): void {
    this.inFlight--
    if (this.inFlight !== 0) return

    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const wake of waiters) wake()
  }
}

function closeConnection(response: TrackableResponse): void {
  if (!response.headersSent) response.setHeader('connection', 'close')
}

import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { sleep } from './http'

/** Settings of {@link createBalancer}. */
export interface BalancerOptions {
  /**
   * How often each upstream's readiness is asked, in milliseconds.
   * @default 100
   */
  readonly pollIntervalMs?: number
  /**
   * The readiness path; 200 puts an upstream in rotation, anything else takes it out.
   * @default '/health/ready'
   */
  readonly readinessPath?: string
}

/** How forwarding to one upstream went, since it was added. */
export interface UpstreamStats {
  /** The upstream's base URL. */
  readonly url: string
  /** Whether it is in rotation now. */
  readonly ready: boolean
  /** Requests sent to it. */
  readonly forwarded: number
  /** Requests it answered (any status). */
  readonly answered: number
  /** Requests it could not be reached for: the connection was refused, nothing was sent. */
  readonly refused: number
  /**
   * Requests that failed after they reached it: a reset or a closed connection before the
   * answer ended. On a reused keep-alive connection this may also be a request the upstream
   * never read (it closed the idle connection as the request went out).
   */
  readonly failedAfterSending: number
  /** Of those, how many went out on a reused keep-alive connection. */
  readonly failedOnReusedSocket: number
}

/** Counters of the whole balancer. */
export interface BalancerStats {
  /** Every upstream ever added, in the order added. */
  readonly upstreams: readonly UpstreamStats[]
  /** Requests answered 503 by the balancer itself: no upstream was ready. */
  readonly noUpstream: number
}

/**
 * A tiny HTTP load balancer: round robin over the upstreams whose readiness answered 200
 * at the latest poll. It retries nothing, so every failure behind it reaches the client.
 */
export interface Balancer {
  /** Where clients send requests. */
  readonly url: string
  /** Puts an upstream under watch; it joins the rotation once its readiness answers 200. */
  add(url: string): void
  /** Stops sending to an upstream and stops watching it. */
  remove(url: string): void
  /** Asks every upstream's readiness now. */
  poll(): Promise<void>
  /** Counters since the balancer started. */
  stats(): BalancerStats
  /** Stops polling, closes every connection and the listener. */
  close(): Promise<void>
}

interface Upstream {
  readonly url: URL
  ready: boolean
  forwarded: number
  answered: number
  refused: number
  failedAfterSending: number
  failedOnReusedSocket: number
}

/**
 * Starts a balancer on a free loopback port.
 *
 * @example
 * ```ts
 * const balancer = await createBalancer()
 * balancer.add(first.url)
 * balancer.add(second.url)
 * await balancer.poll()
 * await fetch(`${balancer.url}/properties`, { headers })
 * ```
 */
export async function createBalancer(options: BalancerOptions = {}): Promise<Balancer> {
  const pollIntervalMs = options.pollIntervalMs ?? 100
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs <= 0) {
    throw new RangeError(`createBalancer: expected pollIntervalMs > 0, got ${pollIntervalMs}`)
  }
  const readinessPath = options.readinessPath ?? '/health/ready'
  const upstreams = new Map<string, Upstream>()
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  const probeAgent = new http.Agent({ keepAlive: false })
  let next = 0
  let noUpstream = 0

  const choose = (): Upstream | undefined => {
    const ready = [...upstreams.values()].filter((u) => u.ready)
    if (ready.length === 0) return undefined
    next = (next + 1) % ready.length
    return ready[next]
  }

  const server = http.createServer((request, response) => {
    const upstream = choose()
    if (upstream === undefined) {
      noUpstream++
      response.writeHead(503, { 'content-type': 'application/json' })
      response.end('{"error":"no_upstream","message":"no instance is ready"}')
      return
    }
    forward(upstream, request, response)
  })

  function forward(
    upstream: Upstream,
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ) {
    upstream.forwarded++
    let connected = false
    const outgoing = http.request(
      {
        host: upstream.url.hostname,
        port: upstream.url.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
        agent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
        answer.on('end', () => {
          upstream.answered++
        })
        answer.on('error', () => failed(true))
      },
    )
    outgoing.on('socket', (socket) => {
      if (!socket.connecting) {
        connected = true
        return
      }
      socket.once('connect', () => {
        connected = true
      })
    })
    const failed = (afterSending: boolean) => {
      if (afterSending) {
        upstream.failedAfterSending++
        if (outgoing.reusedSocket) upstream.failedOnReusedSocket++
      } else {
        upstream.refused++
      }
      if (!response.headersSent) {
        response.writeHead(502, { 'content-type': 'application/json' })
        response.end('{"error":"bad_gateway","message":"the instance did not answer"}')
      } else {
        response.destroy()
      }
    }
    outgoing.on('error', () => failed(connected))
    request.pipe(outgoing)
  }

  const probe = (upstream: Upstream) =>
    new Promise<void>((resolve) => {
      const request = http.get(
        {
          host: upstream.url.hostname,
          port: upstream.url.port,
          path: readinessPath,
          agent: probeAgent,
          timeout: 1_000,
        },
        (answer) => {
          answer.resume()
          upstream.ready = answer.statusCode === 200
          resolve()
        },
      )
      request.on('timeout', () => request.destroy())
      request.on('error', () => {
        upstream.ready = false
        resolve()
      })
    })

  const poll = async () => {
    await Promise.all([...upstreams.values()].map(probe))
  }

  const stopping = new AbortController()
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await poll()
      await sleep(pollIntervalMs, stopping.signal)
    }
  })()

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    add(url) {
      upstreams.set(url, {
        url: new URL(url),
        ready: false,
        forwarded: 0,
        answered: 0,
        refused: 0,
        failedAfterSending: 0,
        failedOnReusedSocket: 0,
      })
    },
    remove(url) {
      upstreams.delete(url)
    },
    poll,
    stats() {
      return {
        noUpstream,
        upstreams: [...upstreams.values()].map((u) => ({
          url: u.url.toString(),
          ready: u.ready,
          forwarded: u.forwarded,
          answered: u.answered,
          refused: u.refused,
          failedAfterSending: u.failedAfterSending,
          failedOnReusedSocket: u.failedOnReusedSocket,
        })),
      }
    },
    async close() {
      stopping.abort()
      await loop
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      agent.destroy()
      probeAgent.destroy()
    },
  }
}

import net from 'node:net'

/** Where {@link createFaultProxy} listens and what it forwards to. */
export interface FaultProxyOptions {
  /** The host of the real server, e.g. PostgreSQL's. */
  readonly targetHost: string
  /** The port of the real server. */
  readonly targetPort: number
  /**
   * The interface the proxy listens on.
   * @default '127.0.0.1'
   */
  readonly host?: string
  /**
   * The port the proxy listens on; `0` picks a free one.
   * @default 0
   */
  readonly port?: number
}

/**
 * What happens to a new connection while the proxy refuses them: `reset` accepts and resets
 * it at once (the client sees ECONNRESET, as from a server that is going away), `hang`
 * accepts it and never answers (a network partition: the client waits for its own
 * timeout), `off` forwards it.
 */
export type RefusalMode = 'off' | 'reset' | 'hang'

/** Counters of a {@link FaultProxy} since it started. */
export interface FaultProxyStats {
  /** Connections accepted and forwarded. */
  readonly forwarded: number
  /** Connections accepted while refusing (reset or held). */
  readonly refused: number
  /** Connection pairs cut by `cut()`. */
  readonly cut: number
  /** Client connections open now, forwarded or held. */
  readonly open: number
  /** The most client connections open at once. */
  readonly maxOpen: number
  /** Chunks waiting for their added latency to pass, now. */
  readonly delayedChunks: number
}

/** A TCP proxy in front of one server that adds latency, cuts connections or refuses them. */
export interface FaultProxy {
  /** The interface it listens on. */
  readonly host: string
  /** The port it listens on. */
  readonly port: number
  /** `url` with its host and port replaced by the proxy's (a `postgres://` URL, say). */
  urlFor(url: string): string
  /**
   * Holds every chunk the target sends back for `latencyMs` before passing it on, so each
   * round trip to the target takes that much longer. Order is kept; `0` passes data at once
   * (chunks already waiting still leave in order).
   */
  setLatency(latencyMs: number): void
  /** How new connections are treated from now on; open connections are not touched. */
  refuse(mode: RefusalMode): void
  /** Resets every open connection, forwarded or held, and says how many it cut. */
  cut(): number
  /** Counters since the proxy started. */
  stats(): FaultProxyStats
  /** Stops listening and resets every open connection. */
  close(): Promise<void>
}

interface Pair {
  readonly client: net.Socket
  readonly target: net.Socket | undefined
}

/** Chunks passed on in order, each no earlier than its due time. */
interface DelayLine {
  push(chunk: Buffer): void
  /** Ends the socket once every chunk waiting has been written. */
  end(): void
  readonly waiting: number
  clear(): void
}

/**
 * Starts a fault-injecting TCP proxy. With no fault set it forwards bytes both ways
 * unchanged; `setLatency`, `refuse` and `cut` change that while connections are open, which
 * is what the chaos scenarios put between the example server and PostgreSQL (or Redis).
 *
 * @example
 * ```ts
 * const proxy = await createFaultProxy({ targetHost: '127.0.0.1', targetPort: 5432 })
 * const url = proxy.urlFor('postgres://postgres@127.0.0.1:5432/app')
 * proxy.refuse('reset') // new connections fail
 * proxy.cut() // and the open ones drop
 * proxy.refuse('off') // the database is back
 * await proxy.close()
 * ```
 */
export async function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  validate(options)
  const host = options.host ?? '127.0.0.1'
  const pairs = new Set<Pair>()
  const lines = new Set<DelayLine>()
  let latencyMs = 0
  let mode: RefusalMode = 'off'
  let forwarded = 0
  let refused = 0
  let cutCount = 0
  let maxOpen = 0

  const server = net.createServer({ noDelay: true }, (client) => {
    client.on('error', () => {})
    if (mode === 'reset') {
      refused++
      reset(client)
      return
    }
    if (mode === 'hang') {
      refused++
      track({ client, target: undefined })
      return
    }

    forwarded++
    const target = net.connect({ host: options.targetHost, port: options.targetPort })
    target.setNoDelay(true)
    const pair = { client, target }
    const back = delayLine(client, () => latencyMs)
    lines.add(back)
    track(pair)

    client.on('data', (chunk: Buffer) => target.write(chunk))
    client.on('end', () => target.end())
    client.on('close', () => {
      lines.delete(back)
      back.clear()
      target.destroy()
    })
    target.on('data', (chunk: Buffer) => back.push(chunk))
    // What the target said before it hung up still arrives, late by the same latency.
    target.on('end', () => back.end())
    target.on('error', () => reset(client))
  })

  function track(pair: Pair): void {
    pairs.add(pair)
    maxOpen = Math.max(maxOpen, pairs.size)
    pair.client.on('close', () => pairs.delete(pair))
  }

  function cut(): number {
    const count = pairs.size
    for (const pair of pairs) {
      reset(pair.client)
      pair.target?.destroy()
    }
    pairs.clear()
    cutCount += count

    return count
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port

  return {
    host,
    port,
    urlFor(url) {
      const parsed = new URL(url)
      parsed.hostname = host
      parsed.port = String(port)
      return parsed.toString()
    },
    setLatency(ms) {
      if (!Number.isFinite(ms) || ms < 0) {
        throw new RangeError(`setLatency: expected milliseconds >= 0, got ${String(ms)}`)
      }
      latencyMs = ms
    },
    refuse(next) {
      if (next !== 'off' && next !== 'reset' && next !== 'hang') {
        throw new TypeError(`refuse: expected 'off', 'reset' or 'hang', got ${String(next)}`)
      }
      mode = next
    },
    cut,
    stats() {
      let delayedChunks = 0
      for (const line of lines) delayedChunks += line.waiting
      return { forwarded, refused, cut: cutCount, open: pairs.size, maxOpen, delayedChunks }
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      cut()
      await closed
    },
  }
}

/**
 * Writes chunks to `socket` in arrival order, each once `latencyMs()` has passed since it
 * arrived (or right after the chunk before it, if that one left later). One timer at a time.
 */
function delayLine(socket: net.Socket, latencyMs: () => number): DelayLine {
  const queue: Array<{ due: number; chunk: Buffer }> = []
  let timer: NodeJS.Timeout | undefined
  let ending = false

  const flush = () => {
    timer = undefined
    const now = performance.now()
    while (queue.length > 0 && (queue[0] as { due: number }).due <= now) {
      const next = queue.shift() as { chunk: Buffer }
      if (!socket.destroyed) socket.write(next.chunk)
    }
    if (ending && queue.length === 0) socket.end()
    schedule()
  }

  const schedule = () => {
    const head = queue[0]
    if (head === undefined || timer !== undefined) return
    timer = setTimeout(flush, Math.max(0, head.due - performance.now()))
    timer.unref()
  }

  return {
    push(chunk) {
      const delay = latencyMs()
      const last = queue[queue.length - 1]
      if (delay === 0 && last === undefined) {
        socket.write(chunk)
        return
      }
      const due = Math.max(performance.now() + delay, last?.due ?? 0)
      queue.push({ due, chunk })
      schedule()
    },
    end() {
      ending = true
      if (queue.length === 0) socket.end()
    },
    get waiting() {
      return queue.length
    },
    clear() {
      queue.length = 0
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },
  }
}

/**
 * Ends a connection with a TCP reset, or closes it plainly when it is already half closed.
 * Node 20 cannot reset a socket whose shutdown is under way (the peer hung up first): the
 * handle then never closes and keeps this process from exiting.
 */
function reset(socket: net.Socket): void {
  if (socket.destroyed) return
  if (socket.readyState === 'open' && !socket.writableEnded) socket.resetAndDestroy()
  else socket.destroy()
}

function validate(options: FaultProxyOptions): void {
  if (typeof options.targetHost !== 'string' || options.targetHost === '') {
    throw new TypeError(
      `createFaultProxy: expected targetHost to be a host name, got ${String(options.targetHost)}`,
    )
  }
  for (const [name, value] of [
    ['targetPort', options.targetPort],
    ['port', options.port ?? 0],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 65_535) {
      throw new RangeError(
        `createFaultProxy: expected ${name} to be an integer from 0 to 65535, got ${String(value)}`,
      )
    }
  }
}

import http from 'node:http'

/** One request to send with {@link send}. */
export interface Call {
  /** The HTTP method; the wrong ones (PUT, OPTIONS) are for bad-input probes. */
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT' | 'OPTIONS' | 'HEAD'
  /** The path and query, sent as given (no normalisation). */
  readonly path: string
  /** A bearer token for the `Authorization` header. */
  readonly token?: string
  /** A JSON value to send, or raw bytes with their own content type. */
  readonly body?: unknown
  /** Extra headers. */
  readonly headers?: Readonly<Record<string, string>>
}

/** What came back, or what went wrong before an answer came. */
export interface Answer {
  /** The HTTP status; 0 when no answer arrived. */
  readonly status: number
  /** The answer's headers; empty when no answer arrived. */
  readonly headers: http.IncomingHttpHeaders
  /** The body as UTF-8 text. */
  readonly text: string
  /** The socket or timeout error code when no answer arrived (`ECONNRESET`, `timeout`...). */
  readonly error: string | undefined
  /** `performance.now()` when the request was sent. */
  readonly startedAt: number
  /** How long until the answer ended, in milliseconds. */
  readonly durationMs: number
}

/** Raw bytes to send as a body, with their content type. */
export interface RawBody {
  /** The bytes, sent as they are. */
  readonly raw: Buffer | string
  /** The `Content-Type` header to send them with. */
  readonly contentType: string
}

/** A keep-alive HTTP client for one base URL, bounded in sockets and per-request time. */
export interface Client {
  /** Sends one request; never rejects. */
  send(call: Call): Promise<Answer>
  /** Closes the idle sockets. */
  close(): void
}

/** Settings of {@link createClient}. */
export interface ClientOptions {
  /**
   * Sockets kept open to the server at most.
   * @default 32
   */
  readonly maxSockets?: number
  /**
   * A request without an answer after this long is abandoned with error `timeout`.
   * @default 15000
   */
  readonly timeoutMs?: number
}

/**
 * A client for `baseUrl`: never throws, answers with status 0 and an error code instead.
 *
 * @example
 * ```ts
 * const client = createClient('http://127.0.0.1:3000')
 * const answer = await client.send({ method: 'GET', path: '/properties', token: 'demo' })
 * ```
 */
export function createClient(baseUrl: string, options: ClientOptions = {}): Client {
  const url = new URL(baseUrl)
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 32 })
  const timeoutMs = options.timeoutMs ?? 15_000

  return {
    send: (call) => send(url, agent, timeoutMs, call),
    close: () => agent.destroy(),
  }
}

function isRaw(body: unknown): body is RawBody {
  return typeof body === 'object' && body !== null && 'raw' in body && 'contentType' in body
}

function send(url: URL, agent: http.Agent, timeoutMs: number, call: Call): Promise<Answer> {
  const headers: Record<string, string> = { ...call.headers }
  if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`

  let payload: Buffer | undefined
  if (isRaw(call.body)) {
    payload = Buffer.from(call.body.raw)
    headers['content-type'] = call.body.contentType
  } else if (call.body !== undefined) {
    payload = Buffer.from(JSON.stringify(call.body))
    headers['content-type'] = 'application/json'
  }
  if (payload !== undefined) headers['content-length'] = String(payload.length)

  const startedAt = performance.now()

  return new Promise((resolve) => {
    let settled = false
    const finish = (answer: Omit<Answer, 'startedAt' | 'durationMs'>) => {
      if (settled) return
      settled = true
      resolve({ ...answer, startedAt, durationMs: performance.now() - startedAt })
    }
    const fail = (error: string) => finish({ status: 0, headers: {}, text: '', error })

    let request: http.ClientRequest
    try {
      request = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: call.method,
          path: call.path,
          headers,
          agent,
        },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message))
          response.on('end', () =>
            finish({
              status: response.statusCode ?? 0,
              headers: response.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              error: undefined,
            }),
          )
        },
      )
    } catch (error) {
      // A request Node refuses to send (a path with a space, say) never left this process.
      fail((error as NodeJS.ErrnoException).code ?? 'invalid request')
      return
    }
    request.setTimeout(timeoutMs, () => {
      fail('timeout')
      request.destroy()
    })
    request.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message))
    request.end(payload)
  })
}

/** Parses an answer's JSON body, or undefined when it is not JSON. */
export function jsonOf(answer: Answer): unknown {
  try {
    return JSON.parse(answer.text) as unknown
  } catch {
    return undefined
  }
}

/** Resolves after `ms` milliseconds, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve()
      return
    }
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

import type { Answer, Call, Client } from './http'
import { sleep } from './http'

/** A request a worker sends, with the class it is judged in. */
export interface Operation extends Call {
  /** `read`, `write`, `delete`...: which budget and which tally it counts in. */
  readonly kind: string
  /** Anything the scenario wants back with the answer (the name it created, say). */
  readonly tag?: string
}

/** One request sent under load and what came of it. */
export interface Sample {
  /** The worker that sent it. */
  readonly worker: number
  /** The operation's class. */
  readonly kind: string
  /** The operation's tag. */
  readonly tag: string | undefined
  /** The request's method. */
  readonly method: Call['method']
  /** The request's path and query. */
  readonly path: string
  /** Runner time (`performance.now()`) the request was sent. */
  readonly startedAt: number
  /** Runner time its answer ended, or it failed. */
  readonly endedAt: number
  /** How long the answer took, in milliseconds. */
  readonly durationMs: number
  /** 0 when no answer came. */
  readonly status: number
  /** The socket or timeout error code when no answer came. */
  readonly error: string | undefined
  /** The `x-cache` header: `hit`, `miss` or `stale`. */
  readonly cache: string | undefined
  /** The error code of a JSON error body (`unavailable`, `timeout`...). */
  readonly code: string | undefined
  /** Whether the answer carried `retry-after` (an open circuit). */
  readonly retryAfter: boolean
  /** How the token was checked, from `Server-Timing`: `hit`, `miss`, `stale`... */
  readonly auth: string | undefined
}

/** Settings of {@link startLoad}. */
export interface LoadOptions {
  /** Sends the requests. */
  readonly client: Client
  /** Workers sending one request at a time each. */
  readonly workers: number
  /** The next request of worker `worker`; `undefined` makes the worker wait a little. */
  next(worker: number): Operation | undefined
  /** Sees every answer, in order per worker, before the worker sends again. */
  onAnswer?(operation: Operation, answer: Answer, worker: number): void
  /**
   * Pause after each request, per worker, in milliseconds: keeps the rate modest on a
   * machine shared with other work.
   * @default 0
   */
  readonly pauseMs?: number
  /** Stops the workers when it aborts. */
  readonly signal?: AbortSignal
}

/** A running load. */
export interface Load {
  /** Every request answered or failed so far. */
  readonly samples: readonly Sample[]
  /** Stops the workers and waits for their last requests. */
  stop(): Promise<void>
}

/**
 * Starts closed-loop workers: each sends a request, waits for the answer, and sends the
 * next. One worker per landlord keeps each landlord's requests in order, so a model of what
 * the landlord should see stays exact.
 */
export function startLoad(options: LoadOptions): Load {
  const samples: Sample[] = []
  let stopped = false

  const worker = async (index: number) => {
    while (!stopped && options.signal?.aborted !== true) {
      const operation = options.next(index)
      if (operation === undefined) {
        await sleep(20, options.signal)
        continue
      }

      const answer = await options.client.send(operation)
      samples.push(sampleOf(index, operation, answer))
      options.onAnswer?.(operation, answer, index)
      if ((options.pauseMs ?? 0) > 0) await sleep(options.pauseMs ?? 0, options.signal)
    }
  }

  const running = Array.from({ length: options.workers }, (_, index) => worker(index))

  return {
    samples,
    async stop() {
      stopped = true
      await Promise.all(running)
    },
  }
}

function sampleOf(worker: number, operation: Operation, answer: Answer): Sample {
  const cache = answer.headers['x-cache']
  const timing = answer.headers['server-timing']
  const auth = typeof timing === 'string' ? /\bauth;[^,]*desc="?(\w+)/.exec(timing)?.[1] : undefined
  let code: string | undefined
  if (answer.status >= 400) {
    const match = /"error":"([a-z_]+)"/.exec(answer.text)
    code = match?.[1]
  }

  return {
    worker,
    kind: operation.kind,
    tag: operation.tag,
    method: operation.method,
    path: operation.path,
    startedAt: answer.startedAt,
    endedAt: answer.startedAt + answer.durationMs,
    durationMs: answer.durationMs,
    status: answer.status,
    error: answer.error,
    cache: typeof cache === 'string' ? cache : undefined,
    code,
    retryAfter: answer.headers['retry-after'] !== undefined,
    auth,
  }
}

/** Whether a sample is a success: a 2xx answer. */
export function succeeded(sample: Sample): boolean {
  return sample.status >= 200 && sample.status < 300
}

/** Samples sent within `[from, to)` of runner time. */
export function between(samples: readonly Sample[], from: number, to: number): Sample[] {
  return samples.filter((sample) => sample.startedAt >= from && sample.startedAt < to)
}

/** Samples every `intervalMs` of `sample()` until `signal` aborts or `stop` is called. */
export function startSampling<T>(
  sample: () => Promise<T>,
  intervalMs: number,
): { readonly values: readonly T[]; stop(): Promise<void> } {
  const values: T[] = []
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      try {
        values.push(await sample())
      } catch {
        // A sample that could not be taken (the process is going away) is left out.
      }
      await sleep(intervalMs)
    }
  })()

  return {
    values,
    async stop() {
      stopped = true
      await loop
    },
  }
}

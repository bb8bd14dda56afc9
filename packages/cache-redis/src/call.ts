import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { RedisUnavailableError } from './errors'

/**
 * Runs one Redis call under a deadline. While the connection is not ready the call is
 * refused at once instead of waiting in ioredis's offline queue, so an outage costs no
 * memory and no waiting, whatever the client's `enableOfflineQueue` and
 * `maxRetriesPerRequest`. The deadline's timer never keeps the process alive; a call that
 * answers after its deadline is ignored (its error too).
 */
export function call<T>(
  redis: Redis,
  operation: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  run: () => Promise<T>,
): Promise<T> {
  if (redis.status !== 'ready') {
    return Promise.reject(new RedisUnavailableError(operation, `the connection is ${redis.status}`))
  }
  if (signal?.aborted) return Promise.reject(signal.reason)

  return new Promise<T>((resolve, reject) => {
    let done = false
    const finish = (settle: () => void) => {
      if (done) return
      done = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      settle()
    }
    const onAbort = () => finish(() => reject(signal?.reason))
    const timer = setTimeout(() => {
      const reason = `no answer within ${timeoutMs} ms`
      finish(() => reject(new RedisUnavailableError(operation, reason)))
    }, timeoutMs)
    timer.unref()
    signal?.addEventListener('abort', onAbort, { once: true })

    run().then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error)
        finish(() => reject(new RedisUnavailableError(operation, reason, { cause: error })))
      },
    )
  })
}

/** A Lua script run by its SHA-1, loaded on first use and again after a `SCRIPT FLUSH`. */
export class Script {
  readonly #source: string
  readonly #sha: string

  constructor(source: string) {
    this.#source = source
    this.#sha = createHash('sha1').update(source).digest('hex')
  }

  /** Runs the script with `keys` (prefixed by ioredis's `keyPrefix`, if any) and `args`. */
  run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>) {
    return redis.evalsha(this.#sha, keys.length, ...keys, ...args).catch((error: unknown) => {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error

      return redis.eval(this.#source, keys.length, ...keys, ...args)
    })
  }
}

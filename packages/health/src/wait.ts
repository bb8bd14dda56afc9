/** How a bounded wait ended. */
export type WaitEnd = 'done' | 'timeout' | 'aborted'

/**
 * Waits for `promise` to settle, for at most `ms` milliseconds, and no longer
 * than until `signal` aborts. The timer is unref()ed, so the wait never keeps
 * the process alive by itself; the promise's rejection is swallowed.
 */
export function settleWithin(
  promise: Promise<unknown>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<WaitEnd> {
  if (signal?.aborted === true) return Promise.resolve('aborted')

  return new Promise((resolve) => {
    const finish = (end: WaitEnd) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      resolve(end)
    }
    const onAbort = () => finish('aborted')
    const timer = setTimeout(() => finish('timeout'), ms)
    timer.unref()
    signal?.addEventListener('abort', onAbort, { once: true })

    promise.then(
      () => finish('done'),
      () => finish('done'),
    )
  })
}

/** A promise that never settles, for a wait that only a timer or a signal ends. */
export const NEVER: Promise<never> = new Promise(() => undefined)

/** Settles as `promise` does, or rejects with the signal's reason once `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)

  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

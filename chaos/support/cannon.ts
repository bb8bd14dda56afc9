import autocannon from 'autocannon'

/** A running autocannon instance and the summary it resolves with once it is done. */
export interface Cannon {
  /** The instance, for its `response` events. */
  readonly instance: autocannon.Instance
  /** Resolves with autocannon's summary when the run ends (its duration, or an abort). */
  readonly result: Promise<autocannon.Result>
}

/**
 * Starts autocannon with `options` and stops it when `signal` aborts. Autocannon hands back
 * either a promise of its summary or, given a callback, the instance that emits events and
 * can be stopped; this keeps both.
 *
 * @example
 * ```ts
 * const { instance, result } = startCannon({ url, duration: 30, overallRate: 300 }, signal)
 * instance.on('response', (_client, status, _bytes, ms) => record(status, ms))
 * const summary = await result
 * ```
 */
export function startCannon(options: autocannon.Options, signal: AbortSignal): Cannon {
  let instance: autocannon.Instance | undefined
  const result = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(options, (error: unknown, summary) => {
      signal.removeEventListener('abort', stop)
      if (error === null || error === undefined) resolve(summary)
      else reject(error instanceof Error ? error : new Error(String(error)))
    })
  })
  const started = instance as autocannon.Instance
  function stop() {
    started.stop()
  }
  if (signal.aborted) stop()
  else signal.addEventListener('abort', stop, { once: true })

  return { instance: started, result }
}

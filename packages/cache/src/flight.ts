import { CacheLoadTimeoutError } from './errors'

/** What a load produced, shared by every caller waiting for it. */
export interface Outcome<T> {
  readonly value: T
  /** True when the load failed and an expired entry was served instead. */
  readonly stale: boolean
  /** Age of the value in milliseconds: 0 for a new load, the entry's age for a stale one. */
  readonly ageMs: number
}

/**
 * One load of one key under way. Callers that arrive while it runs join it instead of
 * calling the loader again, as long as nothing they depend on was invalidated since it
 * started.
 */
export class Flight<T> {
  /** Settles with the outcome every waiter receives; set right after construction. */
  outcome!: Promise<Outcome<T>>

  /** Set when the key itself was invalidated or overwritten: the result must not be stored. */
  fenced = false

  /** The outcome's value alone, made once for every caller of `get` that joins. */
  value: Promise<T> | undefined = undefined

  constructor(
    /** The key being loaded. */
    readonly key: string,
    /** The tags the result will be stored under. */
    readonly tags: readonly string[],
    /** The invalidation sequence number when the load was created. */
    readonly sequence: number,
    /**
     * Resolves (never rejects) once the loader has settled or was abandoned at its deadline.
     * A later load of the same key waits for it, so one key never has two loader calls
     * running at once.
     */
    readonly loaderDone: Promise<void>,
  ) {}
}

/** The value of an outcome. */
export function valueOfOutcome<T>(outcome: Outcome<T>): T {
  return outcome.value
}

/**
 * `promise`, or a rejection with the signal's reason as soon as `signal` aborts, whichever
 * comes first. Only this caller stops waiting; the promise itself goes on.
 */
export function abandonable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)

  return new Promise<T>((resolve, reject) => {
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

/** Calls a loader, turning a synchronous throw into a rejection. */
export function callLoader(
  run: (signal: AbortSignal) => unknown,
  signal: AbortSignal,
): Promise<unknown> {
  try {
    return Promise.resolve(run(signal))
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * `loaded`, or a `CacheLoadTimeoutError` once `timeoutMs` passed; the timer never keeps the
 * process alive and is cleared as soon as the load settles. At the deadline the loader's
 * signal is aborted with the same error.
 */
export function underDeadline(
  loaded: Promise<unknown>,
  controller: AbortController,
  key: string,
  timeoutMs: number,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new CacheLoadTimeoutError(key, timeoutMs)
      controller.abort(error)
      reject(error)
    }, timeoutMs)
    timer.unref?.()

    loaded.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/** Does nothing; settles a promise without caring how. */
export function noop(): void {}

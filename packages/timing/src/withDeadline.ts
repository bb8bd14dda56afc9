import { type Follower, follow, unfollow } from './callerSignal'
import { describeValue } from './describeValue'
import { TimeoutError } from './errors'

/** The longest deadline a Node timer honours (2^31 - 1 ms, about 24.8 days). */
export const MAX_DEADLINE_MS = 2_147_483_647

/** Per-call options of {@link withDeadline}. */
export interface DeadlineOptions {
  /**
   * The caller's signal. When it aborts, the call rejects with its `reason`
   * and the signal handed to `fn` aborts with the same reason.
   * @default undefined (only the deadline can end the call early)
   */
  readonly signal?: AbortSignal | undefined
}

/**
 * Runs `fn` with a deadline of `ms` milliseconds.
 *
 * `fn` receives an `AbortSignal` that aborts at the deadline (reason: a
 * {@link TimeoutError}) or when `options.signal` aborts (reason: that signal's
 * reason). The returned promise settles with `fn`'s outcome, or rejects with
 * the abort reason at once, even if `fn` never looks at its signal. A
 * successful call never aborts the signal it was given.
 *
 * An arrow function without parameters (`() => work()`, `async () => work()`)
 * cannot read the signal, so none is created for it, which makes the call
 * several times cheaper on Node 20. Every other function gets one, rest and
 * default parameters, `arguments` readers, bound functions and mocks included.
 *
 * If `options.signal` is already aborted, `fn` is not called. The timer is
 * `unref()`ed and cleared, and the listener on `options.signal` removed, as
 * soon as the call settles; calls sharing one caller signal share one
 * listener. An invalid `fn` or `ms` rejects with a `TypeError` or
 * `RangeError` instead of throwing.
 *
 * @param fn - the work; it should stop when its signal aborts
 * @param ms - the deadline, a finite number from 0 to {@link MAX_DEADLINE_MS}
 * @param options - the caller's signal
 * @returns `fn`'s value
 *
 * @example
 * ```ts
 * const response = await withDeadline((signal) => fetch(url, { signal }), 5_000)
 * ```
 */
export function withDeadline<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  ms: number,
  options?: DeadlineOptions,
): Promise<T> {
  const invalid = invalidArguments('withDeadline', fn, ms)
  if (invalid !== undefined) return Promise.reject(invalid)

  const parent = options?.signal
  if (parent?.aborted) return Promise.reject(parent.reason)

  return new DeadlineCall<T>(ms).run(fn, parent)
}

/** The error `withDeadline` rejects with for a bad `fn` or `ms`, or `undefined`. */
export function invalidArguments(where: string, fn: unknown, ms: number): Error | undefined {
  if (typeof fn !== 'function') {
    return new TypeError(`${where}: fn must be a function, received ${describeValue(fn)}`)
  }
  if (!(ms >= 0 && ms <= MAX_DEADLINE_MS)) {
    return new RangeError(
      `${where}: ms must be a finite number from 0 to ${MAX_DEADLINE_MS}, ` +
        `received ${describeValue(ms)}`,
    )
  }

  return undefined
}

/**
 * The state of one call. This is the hot path: at most one controller, one
 * timer and one hand-made race per call. The object is the timer's argument,
 * so the timer needs no closure, and it joins its caller's signal through a
 * shared listener (see `follow`) instead of adding one of its own. A subclass
 * learns how the call ended through `ended`, before the caller does, without
 * chaining another promise.
 */
export class DeadlineCall<T> implements Follower {
  readonly ms: number
  controller: AbortController | undefined = undefined
  timer: ReturnType<typeof setTimeout> | undefined = undefined
  settled = false
  previous: Follower | undefined = undefined
  next: Follower | undefined = undefined
  link: Follower['link'] = undefined
  #resolve: ((value: T) => void) | undefined = undefined
  #reject: ((reason: unknown) => void) | undefined = undefined

  constructor(ms: number) {
    this.ms = ms
  }

  /** Starts the deadline, follows `parent` and calls `fn`; returns the call's promise. */
  run(
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    parent: AbortSignal | undefined,
  ): Promise<T> {
    const promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.timer = setTimeout(expire, this.ms, this)
    this.timer.unref()
    if (parent !== undefined) follow(this, parent)

    try {
      let result: T | PromiseLike<T>
      if (readsNoArguments(fn)) {
        result = (fn as () => T | PromiseLike<T>)()
      } else {
        this.controller = new AbortController()
        result = fn(this.controller.signal)
      }

      if (isThenable(result)) {
        result.then(
          (value) => this.succeed(value),
          (error: unknown) => this.fail(error),
        )
      } else {
        this.succeed(result)
      }
    } catch (error) {
      this.fail(error)
    }

    return promise
  }

  succeed(value: T): void {
    if (this.settled) return
    this.settle()
    this.ended(undefined, false)
    this.#resolve?.(value)
  }

  fail(error: unknown): void {
    if (this.settled) return
    this.settle()
    this.ended(error, true)
    this.#reject?.(error)
  }

  /** Aborts `fn`'s signal and fails the call with `reason`. */
  abort(reason: unknown): void {
    if (this.settled) return
    this.settle()
    this.controller?.abort(reason)
    this.ended(reason, true)
    this.#reject?.(reason)
  }

  /**
   * Called once, when the call has settled and before its promise does; the
   * base class does nothing. It must not throw.
   * @param _error - the reason the call failed with, when `failed`
   * @param _failed - whether the call failed (threw, rejected, timed out, aborted)
   */
  protected ended(_error: unknown, _failed: boolean): void {}

  private settle(): void {
    this.settled = true
    clearTimeout(this.timer)
    unfollow(this)
  }
}

function expire<T>(call: DeadlineCall<T>): void {
  call.abort(new TimeoutError(call.ms))
}

const functionSource = Function.prototype.toString

/**
 * Whether `fn` cannot see what it is called with. Only an arrow function
 * without parameters cannot: it has no `arguments` of its own. Any other
 * function of length 0 (rest or default parameters, `arguments`, a bound
 * function, a mock) might read the signal, so it gets one. Reading the source
 * costs a few percent of creating the signal, and only functions of length 0
 * pay it.
 */
function readsNoArguments(fn: (signal: AbortSignal) => unknown): boolean {
  return fn.length === 0 && isParameterlessArrow(functionSource.call(fn))
}

/**
 * Whether `source` starts like `() =>` or `async () =>`, scanned by hand
 * because a regular expression costs a quarter of the check again. Anything
 * unusual, such as a comment inside the `()`, answers `false`, which only
 * costs a signal.
 */
function isParameterlessArrow(source: string): boolean {
  let at = skipSpaces(source, source.startsWith('async') ? 5 : 0)
  if (source.charCodeAt(at) !== OPEN_PAREN) return false
  at = skipSpaces(source, at + 1)
  if (source.charCodeAt(at) !== CLOSE_PAREN) return false
  at = skipSpaces(source, at + 1)

  return source.charCodeAt(at) === EQUALS && source.charCodeAt(at + 1) === GREATER
}

const OPEN_PAREN = 0x28
const CLOSE_PAREN = 0x29
const EQUALS = 0x3d
const GREATER = 0x3e

function skipSpaces(source: string, from: number): number {
  let at = from
  for (;;) {
    const code = source.charCodeAt(at)
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return at
    at++
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

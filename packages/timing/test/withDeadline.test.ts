import { getEventListeners } from 'node:events'
import {
  isTimeoutError,
  MAX_DEADLINE_MS,
  TIMEOUT_ERROR_CODE,
  TimeoutError,
  TimingError,
  withDeadline,
} from '@ballast/timing'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const never = () => new Promise<never>(() => {})

/** Settles `promise` into a plain record so a test can look without awaiting. */
function watch<T>(promise: Promise<T>) {
  const state: { status: 'pending' | 'fulfilled' | 'rejected'; value?: T; reason?: unknown } = {
    status: 'pending',
  }
  promise.then(
    (value) => Object.assign(state, { status: 'fulfilled', value }),
    (reason: unknown) => Object.assign(state, { status: 'rejected', reason }),
  )
  return state
}

describe('withDeadline', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it("resolves with fn's value, sync or async", async () => {
    await expect(withDeadline(async () => 42, 100)).resolves.toBe(42)
    await expect(withDeadline(() => 'sync', 100)).resolves.toBe('sync')
  })

  it("rejects with fn's error, thrown or rejected", async () => {
    const boom = new Error('boom')
    await expect(withDeadline(() => Promise.reject(boom), 100)).rejects.toBe(boom)
    await expect(
      withDeadline(() => {
        throw boom
      }, 100),
    ).rejects.toBe(boom)
  })

  it('rejects with a TimeoutError at the deadline even when fn ignores its signal', async () => {
    const call = watch(withDeadline(never, 1000))

    await vi.advanceTimersByTimeAsync(999)
    expect(call.status).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)

    expect(call.status).toBe('rejected')
    expect(call.reason).toBeInstanceOf(TimeoutError)
    expect(call.reason).toMatchObject({
      name: 'TimeoutError',
      code: 'BALLAST_TIMEOUT',
      timeoutMs: 1000,
      message: 'Operation timed out after 1000 ms',
    })
  })

  it("aborts fn's signal at the deadline with the TimeoutError as reason", async () => {
    let seen: AbortSignal | undefined
    const call = watch(
      withDeadline((signal) => {
        seen = signal
        return never()
      }, 50),
    )

    expect(seen?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(50)

    expect(seen?.aborted).toBe(true)
    expect(seen?.reason).toBe(call.reason)
    expect(isTimeoutError(seen?.reason)).toBe(true)
  })

  it("never aborts fn's signal when the call succeeds", async () => {
    let seen: AbortSignal | undefined
    await withDeadline(async (signal) => {
      seen = signal
    }, 50)
    await vi.advanceTimersByTimeAsync(100)

    expect(seen?.aborted).toBe(false)
  })

  it('creates no signal for an arrow function without parameters, yet times it out', async () => {
    const created = vi.spyOn(AbortController.prototype, 'signal', 'get')
    const plain = watch(withDeadline(() => never(), 10))
    const asynchronous = watch(withDeadline(async () => never(), 10))
    await vi.advanceTimersByTimeAsync(10)

    expect(created).not.toHaveBeenCalled()
    expect(isTimeoutError(plain.reason)).toBe(true)
    expect(isTimeoutError(asynchronous.reason)).toBe(true)
    await withDeadline((signal) => signal.aborted, 10)
    expect(created).toHaveBeenCalledOnce()
  })

  it('hands a signal to every other fn, whatever its length', async () => {
    const seen: unknown[] = []
    const keep = (value: unknown) => {
      seen.push(value)
    }
    const rest = (...args: unknown[]) => keep(args[0])
    const withDefault = (signal: unknown = 'none') => keep(signal)
    function legacy() {
      // biome-ignore lint/complexity/noArguments: a function that reads what it was given
      keep(arguments[0])
    }
    const method = {
      run(...args: unknown[]) {
        keep(args[0])
      },
    }.run

    for (const fn of [rest, withDefault, legacy, method, rest.bind(null), vi.fn(rest)]) {
      expect(fn.length).toBe(0)
      await withDeadline(fn, 100)
    }

    expect(seen).toHaveLength(6)
    for (const signal of seen) expect(signal).toBeInstanceOf(AbortSignal)
  })

  it.each([
    ['() => 1', false],
    ['async () => 1', false],
    ['async()=>1', false],
    ['(\n) =>\n 1', false],
    ['(x = 1) => x', true],
    ['(...args) => args[0]', true],
    ['(/* none */) => 1', true],
    ['({ async() { return arguments[0] } }).async', true],
    ['({ asyncWork() { return arguments[0] } }).asyncWork', true],
    ['async function () { return arguments[0] }', true],
  ])('tells from the source of %j whether fn could read a signal (%s)', async (source, reads) => {
    const fn = new Function(`return ${source}`)() as () => unknown
    const created = vi.spyOn(AbortController.prototype, 'signal', 'get')

    await withDeadline(fn, 10)

    expect(fn.length).toBe(0)
    expect(created).toHaveBeenCalledTimes(reads ? 1 : 0)
  })

  it("rejects with the caller's reason and aborts fn's signal with it", async () => {
    const caller = new AbortController()
    const reason = new Error('client went away')
    let seen: AbortSignal | undefined
    const call = watch(
      withDeadline(
        (signal) => {
          seen = signal
          return never()
        },
        1000,
        { signal: caller.signal },
      ),
    )

    caller.abort(reason)
    await vi.advanceTimersByTimeAsync(0)

    expect(call.status).toBe('rejected')
    expect(call.reason).toBe(reason)
    expect(isTimeoutError(call.reason)).toBe(false)
    expect(seen?.reason).toBe(reason)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('does not call fn when the caller signal is already aborted', async () => {
    const fn = vi.fn(async () => 1)
    const reason = new Error('already gone')

    await expect(withDeadline(fn, 100, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect(fn).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('leaves no timer behind after success, failure and timeout', async () => {
    await withDeadline(async () => 1, 1000)
    expect(vi.getTimerCount()).toBe(0)

    await withDeadline(() => Promise.reject(new Error('no')), 1000).catch(() => {})
    expect(vi.getTimerCount()).toBe(0)

    const call = watch(withDeadline(never, 1000))
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(call.status).toBe('rejected')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('unrefs its timer so it never keeps the process alive', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
    const call = watch(withDeadline(never, 1000))

    const timer = setTimeoutSpy.mock.results[0]?.value as NodeJS.Timeout
    expect(timer.hasRef()).toBe(false)
    await vi.advanceTimersByTimeAsync(1000)
    expect(call.status).toBe('rejected')
  })

  it('adds one listener to a signal shared by many calls, none once they settle', async () => {
    const shared = new AbortController()
    const options = { signal: shared.signal }
    const works = [async () => 1, () => Promise.reject(new Error('failed')), never]
    const calls = Array.from({ length: 300 }, (_, i) =>
      withDeadline(works[i % 3] ?? never, 100, options).catch(() => 'settled'),
    )
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1)

    await vi.advanceTimersByTimeAsync(100)
    await Promise.all(calls)

    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('fails every pending call when a shared caller signal aborts', async () => {
    const shared = new AbortController()
    const reason = new Error('shutting down')
    const done = await withDeadline(async () => 'done', 100, { signal: shared.signal })
    const pending = Array.from({ length: 50 }, () =>
      watch(withDeadline(never, 100, { signal: shared.signal })),
    )

    shared.abort(reason)
    await vi.advanceTimersByTimeAsync(0)

    expect(done).toBe('done')
    expect(pending.every((call) => call.reason === reason)).toBe(true)
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('ignores what fn does after the call has settled', async () => {
    const late = new Error('late')
    const call = watch(
      withDeadline(
        () =>
          new Promise((_, reject) => {
            setTimeout(() => reject(late), 200)
          }),
        100,
      ),
    )

    await vi.advanceTimersByTimeAsync(200)

    expect(isTimeoutError(call.reason)).toBe(true)
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, MAX_DEADLINE_MS + 1])(
    'rejects ms = %s with a RangeError without calling fn',
    async (ms) => {
      const fn = vi.fn(async () => 1)

      await expect(withDeadline(fn, ms)).rejects.toThrow(
        new RangeError(
          `withDeadline: ms must be a finite number from 0 to ${MAX_DEADLINE_MS}, received ${ms}`,
        ),
      )
      expect(fn).not.toHaveBeenCalled()
    },
  )

  it('rejects a fn that is not a function with a TypeError', async () => {
    const notAFunction = 'work' as unknown as () => number

    await expect(withDeadline(notAFunction, 10)).rejects.toThrow(
      new TypeError('withDeadline: fn must be a function, received "work"'),
    )
  })

  it('settles with whichever comes first: fn, the deadline or the caller', async () => {
    const time = fc.integer({ min: 0, max: 100 })
    await fc.assert(
      fc.asyncProperty(
        time,
        fc.option(time),
        fc.option(time),
        fc.boolean(),
        async (deadlineMs, settleAtMs, abortAtMs, succeeds) => {
          const events = [deadlineMs, settleAtMs, abortAtMs].filter((at) => at !== null)
          fc.pre(new Set(events).size === events.length)
          const caller = new AbortController()
          const reason = new Error('aborted')
          const failure = new Error('failed')
          if (abortAtMs !== null) setTimeout(() => caller.abort(reason), abortAtMs)

          const call = watch(
            withDeadline(
              () =>
                new Promise((resolve, reject) => {
                  if (settleAtMs === null) return
                  setTimeout(() => (succeeds ? resolve('ok') : reject(failure)), settleAtMs)
                }),
              deadlineMs,
              { signal: caller.signal },
            ),
          )
          await vi.runAllTimersAsync()

          const first = Math.min(...events)
          if (first === settleAtMs) {
            expect(call).toMatchObject(
              succeeds ? { status: 'fulfilled', value: 'ok' } : { reason: failure },
            )
          } else if (first === abortAtMs) {
            expect(call.reason).toBe(reason)
          } else {
            expect(isTimeoutError(call.reason)).toBe(true)
          }
          expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0)
          expect(vi.getTimerCount()).toBe(0)
        },
      ),
    )
  })
})

describe('TimeoutError', () => {
  it('is a TimingError with a stable code, the deadline and a cause', () => {
    const cause = new Error('socket')
    const error = new TimeoutError(250, { cause })

    expect(error).toBeInstanceOf(TimingError)
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe(TIMEOUT_ERROR_CODE)
    expect(error.timeoutMs).toBe(250)
    expect(error.cause).toBe(cause)
  })

  it('is recognised by its code, so a copy from another package version passes the guard', () => {
    expect(isTimeoutError({ code: 'BALLAST_TIMEOUT' })).toBe(true)
    expect(isTimeoutError(new Error('Operation timed out'))).toBe(false)
    expect(isTimeoutError(null)).toBe(false)
    expect(isTimeoutError('BALLAST_TIMEOUT')).toBe(false)
  })
})

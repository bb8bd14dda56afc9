import { CircuitOpenError, createBreaker, isCircuitOpenError } from '@ballast/breaker'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { boom, deferred, failTimes, fakeClock, rejectionOf, succeed } from './support'

describe('createBreaker', () => {
  it('returns what fn returns and stays closed', async () => {
    const breaker = createBreaker({ name: 'pg:get_properties', clock: fakeClock() })

    await expect(breaker.execute(async () => [1, 2])).resolves.toEqual([1, 2])
    await expect(breaker.execute(() => 'sync value')).resolves.toBe('sync value')
    expect(breaker.state).toBe('closed')
  })

  it('follows the defaults: 5 failures in 60 s, half-open after 30 s, one probe', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ name: 'pg:get_properties', clock })

    await failTimes(breaker, 4)
    clock.advance(59_999)
    await failTimes(breaker, 1)
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedAt: 59_999 })
    clock.advance(29_999)
    expect(breaker.state).toBe('open')
    clock.advance(1)
    expect(breaker.state).toBe('half-open')

    const probe = deferred<string>()
    const probeCall = breaker.execute(() => probe.promise)
    await expect(rejectionOf(breaker.execute(succeed))).resolves.toSatisfy(isCircuitOpenError)
    probe.resolve('ok')
    await probeCall
    expect(breaker.state).toBe('closed')
  })

  it('opens after 5 failures within the window by default', async () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })

    await failTimes(breaker, 4)
    expect(breaker.state).toBe('closed')
    await failTimes(breaker, 1)
    expect(breaker.state).toBe('open')
  })

  it('rethrows errors unchanged, counted or not', async () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })
    const notFound = Object.assign(new Error('missing'), { status: 404 })

    expect(await rejectionOf(breaker.execute(async () => Promise.reject(boom)))).toBe(boom)
    expect(await rejectionOf(breaker.execute(async () => Promise.reject(notFound)))).toBe(notFound)
    expect(await rejectionOf(breaker.execute(() => Promise.reject('a string')))).toBe('a string')
  })

  it('counts a synchronous throw from fn like a rejection', async () => {
    const breaker = createBreaker({ name: 'op', failureThreshold: 2, clock: fakeClock() })
    const throwing = () => {
      throw boom
    }

    expect(await rejectionOf(breaker.execute(throwing))).toBe(boom)
    expect(await rejectionOf(breaker.execute(throwing))).toBe(boom)
    expect(breaker.state).toBe('open')
  })

  it('accepts a thenable that is not a native promise', async () => {
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, clock: fakeClock() })
    const thenable = (value: string): PromiseLike<string> => ({
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
      then: (onFulfilled) => Promise.resolve(onFulfilled?.(value)) as never,
    })

    await expect(breaker.execute(() => thenable('ok'))).resolves.toBe('ok')
    expect(breaker.snapshot().totals.successes).toBe(1)
  })

  it('rejects a signal that is not one, without calling fn', async () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })
    const fn = vi.fn(succeed)

    const error = await rejectionOf(breaker.execute(fn, null as unknown as AbortSignal))

    expect(error).toEqual(
      new TypeError('breaker.execute: signal must be an AbortSignal, received null'),
    )
    expect(fn).not.toHaveBeenCalled()
  })

  it('rejects a fn that is not a function without counting it', async () => {
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, clock: fakeClock() })

    const error = await rejectionOf(breaker.execute(42 as unknown as () => number))
    expect(error).toBeInstanceOf(TypeError)
    expect(breaker.snapshot().totals.failures).toBe(0)
  })
})

describe('the closed fast path', () => {
  it('hands back fn’s own promise, counted before the caller sees it', async () => {
    const breaker = createBreaker({ name: 'pg:get_properties', clock: fakeClock() })
    const answer = Promise.resolve('rows')
    const failure = Promise.reject(new Error('connection refused'))

    const returned = breaker.execute(() => answer)
    const failed = breaker.execute(() => failure)

    expect(returned).toBe(answer)
    expect(failed).toBe(failure)
    await expect(returned.then(() => breaker.snapshot().totals.successes)).resolves.toBe(1)
    await expect(failed.catch(() => breaker.snapshot().totals.failures)).resolves.toBe(1)
  })
})

describe('while open', () => {
  it('rejects at once and never calls fn', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'pg:get_properties', failureThreshold: 1, clock })
    await failTimes(breaker, 1)
    const fn = vi.fn(succeed)

    clock.advance(10_000)
    const error = await rejectionOf(breaker.execute(fn))

    expect(fn).not.toHaveBeenCalled()
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(isCircuitOpenError(error)).toBe(true)
    expect(error).toMatchObject({
      code: 'BALLAST_CIRCUIT_OPEN',
      breakerName: 'pg:get_properties',
      state: 'open',
      nextAttemptAt: 1_000_000 + 30_000,
      retryAfterMs: 20_000,
    })
  })

  it('turns half-open after openMs, judged by the clock when asked', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, openMs: 1_000, clock })
    await failTimes(breaker, 1)

    clock.advance(999)
    expect(breaker.state).toBe('open')
    clock.advance(1)
    expect(breaker.state).toBe('half-open')
  })
})

describe('half-open', () => {
  async function halfOpenBreaker(halfOpenProbes?: number) {
    const clock = fakeClock()
    const breaker = createBreaker({
      name: 'op',
      failureThreshold: 1,
      openMs: 1_000,
      clock,
      ...(halfOpenProbes === undefined ? {} : { halfOpenProbes }),
    })
    await failTimes(breaker, 1)
    clock.advance(1_000)
    return { breaker, clock }
  }

  it('admits one probe and rejects the calls beyond it the same way', async () => {
    const { breaker } = await halfOpenBreaker()
    const probe = deferred<string>()
    const extra = vi.fn(succeed)

    const probeCall = breaker.execute(() => probe.promise)
    const error = await rejectionOf(breaker.execute(extra))

    expect(extra).not.toHaveBeenCalled()
    expect(error).toMatchObject({
      code: 'BALLAST_CIRCUIT_OPEN',
      state: 'half-open',
      nextAttemptAt: null,
      retryAfterMs: null,
    })
    probe.resolve('ok')
    await expect(probeCall).resolves.toBe('ok')
  })

  it('closes when the probe succeeds', async () => {
    const { breaker } = await halfOpenBreaker()

    await breaker.execute(succeed)

    expect(breaker.state).toBe('closed')
  })

  it('reopens when the probe fails, for another full open period', async () => {
    const { breaker, clock } = await halfOpenBreaker()

    await failTimes(breaker, 1)

    expect(breaker.state).toBe('open')
    expect(breaker.snapshot().nextAttemptAt).toBe(clock.now() + 1_000)
  })

  it('admits halfOpenProbes probes and closes once every one succeeded', async () => {
    const { breaker } = await halfOpenBreaker(3)
    const probes = [deferred<string>(), deferred<string>(), deferred<string>()]

    const calls = probes.map((probe) => breaker.execute(() => probe.promise))
    await expect(rejectionOf(breaker.execute(succeed))).resolves.toSatisfy(isCircuitOpenError)
    probes[0]?.resolve('a')
    probes[1]?.resolve('b')
    await Promise.all(calls.slice(0, 2))
    expect(breaker.state).toBe('half-open')
    probes[2]?.resolve('c')
    await Promise.all(calls)

    expect(breaker.state).toBe('closed')
  })

  it('releases the slot of a probe the caller aborts, without closing or reopening', async () => {
    const { breaker } = await halfOpenBreaker()
    const controller = new AbortController()
    const probe = deferred<string>()

    const call = breaker.execute((signal) => {
      signal.addEventListener('abort', () => probe.reject(signal.reason), { once: true })
      return probe.promise
    }, controller.signal)
    controller.abort()
    await rejectionOf(call)

    expect(breaker.state).toBe('half-open')
    await breaker.execute(succeed)
    expect(breaker.state).toBe('closed')
  })

  it('ignores a probe from an earlier half-open period', async () => {
    const { breaker, clock } = await halfOpenBreaker()
    const stale = deferred<string>()
    const staleCall = breaker.execute(() => stale.promise)
    breaker.reset()
    await failTimes(breaker, 1)
    clock.advance(1_000)
    expect(breaker.state).toBe('half-open')

    stale.reject(boom)
    await rejectionOf(staleCall)

    expect(breaker.state).toBe('half-open')
  })
})

describe('calls that end after the circuit opened', () => {
  it('count in the totals but move neither an open nor a half-open circuit', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, openMs: 1_000, clock })
    const slow = [deferred<string>(), deferred<string>()]
    const calls = slow.map((call) => breaker.execute(() => call.promise))
    await failTimes(breaker, 1)

    slow[0]?.reject(boom)
    await rejectionOf(calls[0] as Promise<string>)
    expect(breaker.snapshot().nextAttemptAt).toBe(clock.now() + 1_000)
    clock.advance(1_000)
    slow[1]?.resolve('late')
    await calls[1]

    expect(breaker.state).toBe('half-open')
    expect(breaker.snapshot().totals).toEqual({ successes: 1, failures: 2, rejections: 0 })
  })
})

describe('execute and signals', () => {
  it("passes the caller's signal to fn", async () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })
    const controller = new AbortController()

    const received = await breaker.execute((signal) => signal, controller.signal)

    expect(received).toBe(controller.signal)
  })

  it('passes one shared signal that never aborts when none is given', async () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })
    const other = createBreaker({ name: 'other', clock: fakeClock() })

    const first = await breaker.execute((signal) => signal)
    const second = await other.execute((signal) => signal)

    expect(first).toBeInstanceOf(AbortSignal)
    expect(first.aborted).toBe(false)
    expect(second).toBe(first)
  })

  it('rejects at once with the reason of an aborted signal and counts nothing', async () => {
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, clock: fakeClock() })
    const reason = new Error('caller gave up')
    const fn = vi.fn(succeed)

    const error = await rejectionOf(breaker.execute(fn, AbortSignal.abort(reason)))

    expect(error).toBe(reason)
    expect(fn).not.toHaveBeenCalled()
    expect(breaker.snapshot()).toMatchObject({
      state: 'closed',
      calls: 0,
      totals: { successes: 0, failures: 0, rejections: 0 },
    })
  })
})

describe('rolling window', () => {
  it('forgets failures once they are older than the window', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ name: 'op', clock })
    await failTimes(breaker, 4)

    clock.advance(60_000)
    await failTimes(breaker, 1)

    expect(breaker.state).toBe('closed')
    expect(breaker.snapshot()).toMatchObject({ failures: 1, calls: 1 })
  })

  it('keeps failures from every bucket still inside the window', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ name: 'op', clock })

    for (let i = 0; i < 4; i++) {
      await failTimes(breaker, 1)
      clock.advance(13_000)
    }
    expect(breaker.snapshot().failures).toBe(4)
    await failTimes(breaker, 1)

    expect(breaker.state).toBe('open')
  })

  it('forgets a whole bucket at once, aligned to the clock', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ name: 'op', windowMs: 1_000, bucketCount: 4, clock })
    await failTimes(breaker, 1)
    clock.advance(249)
    await failTimes(breaker, 1)

    clock.advance(750)
    expect(breaker.snapshot().failures).toBe(2)
    clock.advance(1)
    expect(breaker.snapshot().failures).toBe(0)
  })

  it('counts successes in calls, dated when the window is next read', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ name: 'op', clock })

    await breaker.execute(succeed)
    await breaker.execute(succeed)
    expect(breaker.snapshot()).toMatchObject({ calls: 2, failures: 0 })
    clock.advance(60_000)
    expect(breaker.snapshot()).toMatchObject({ calls: 0, failures: 0 })
  })
})

describe('failure-rate mode', () => {
  const options = {
    name: 'op',
    failureRateThreshold: 0.5,
    minimumCalls: 4,
  }

  it('dates every call when it ends, so old successes leave the window on time', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ ...options, minimumCalls: 1, clock })

    await breaker.execute(succeed)
    clock.advance(60_000)
    await failTimes(breaker, 1)

    expect(breaker.snapshot()).toMatchObject({ state: 'open', calls: 1, failures: 1 })
  })

  it('judges the rate when a failure ends, never on a success', async () => {
    const breaker = createBreaker({ ...options, clock: fakeClock() })

    await failTimes(breaker, 3)
    await breaker.execute(succeed)
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 4, failures: 3 })
    await failTimes(breaker, 1)

    expect(breaker.state).toBe('open')
  })

  it('does not open below minimumCalls, however high the rate', async () => {
    const breaker = createBreaker({ ...options, clock: fakeClock() })

    await failTimes(breaker, 3)

    expect(breaker.state).toBe('closed')
  })

  it('opens when the rate over the window reaches the threshold', async () => {
    const breaker = createBreaker({ ...options, clock: fakeClock() })

    await breaker.execute(succeed)
    await breaker.execute(succeed)
    await failTimes(breaker, 1)
    expect(breaker.state).toBe('closed')
    await failTimes(breaker, 1)

    expect(breaker.state).toBe('open')
  })

  it('stays closed while the rate is below the threshold', async () => {
    const breaker = createBreaker({ ...options, clock: fakeClock() })

    for (let i = 0; i < 10; i++) {
      await breaker.execute(succeed)
      await breaker.execute(succeed)
      await failTimes(breaker, 1)
    }

    expect(breaker.state).toBe('closed')
    expect(breaker.snapshot()).toMatchObject({ calls: 30, failures: 10 })
  })
})

describe('growing open period', () => {
  it('multiplies each reopening up to maxOpenMs and starts over once closed', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({
      name: 'op',
      failureThreshold: 1,
      openMs: 1_000,
      openMultiplier: 2,
      maxOpenMs: 3_000,
      clock,
    })
    const openPeriods: number[] = []
    async function failAndMeasure() {
      await failTimes(breaker, 1)
      const { openedAt, nextAttemptAt } = breaker.snapshot()
      openPeriods.push((nextAttemptAt ?? 0) - (openedAt ?? 0))
      clock.advance(openPeriods.at(-1) ?? 0)
    }

    for (let i = 0; i < 4; i++) await failAndMeasure()
    await breaker.execute(succeed)
    await failAndMeasure()

    expect(openPeriods).toEqual([1_000, 2_000, 3_000, 3_000, 1_000])
  })

  it('keeps the open period fixed by default', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, clock })

    await failTimes(breaker, 1)
    clock.advance(30_000)
    await failTimes(breaker, 1)

    expect(breaker.snapshot().nextAttemptAt).toBe(clock.now() + 30_000)
  })
})

describe('isolate, release and reset', () => {
  it('holds the circuit open past the open period until released', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', clock })
    const fn = vi.fn(succeed)

    const release = breaker.isolate()
    clock.advance(10 * 60_000)
    const error = await rejectionOf(breaker.execute(fn))

    expect(fn).not.toHaveBeenCalled()
    expect(error).toMatchObject({ state: 'open', nextAttemptAt: null, retryAfterMs: null })
    expect(breaker.snapshot()).toMatchObject({ state: 'open', isolated: true })
    release()
    expect(breaker.state).toBe('closed')
    await expect(breaker.execute(fn)).resolves.toBe('ok')
  })

  it('stays open until every isolation is released; a release works once', () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })

    const first = breaker.isolate()
    const second = breaker.isolate()
    first()
    first()
    expect(breaker.state).toBe('open')
    second()

    expect(breaker.state).toBe('closed')
  })

  it('isolates a tripped circuit beyond its open period', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, clock })
    await failTimes(breaker, 1)

    const release = breaker.isolate()
    clock.advance(60_000)

    expect(breaker.state).toBe('open')
    release()
    expect(breaker.state).toBe('closed')
  })

  it('isolates from the time of the call once an open period is over', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, openMs: 1_000, clock })
    const reasons: string[] = []
    breaker.on('stateChange', (event) => reasons.push(event.reason))
    await failTimes(breaker, 1)

    clock.advance(5_000)
    breaker.isolate()

    expect(reasons).toEqual(['failure-threshold', 'open-elapsed', 'isolated'])
    expect(breaker.snapshot()).toMatchObject({
      state: 'open',
      isolated: true,
      openedAt: 5_000,
      nextAttemptAt: null,
    })
  })

  it('reset closes the circuit, empties the window and drops isolations', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', clock })
    await failTimes(breaker, 4)
    const release = breaker.isolate()

    breaker.reset()
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', isolated: false, failures: 0 })
    release()
    await failTimes(breaker, 4)

    expect(breaker.state).toBe('closed')
    expect(breaker.snapshot().totals.failures).toBe(8)
  })
})

describe('wrap', () => {
  it('returns a loader that runs fn through the breaker with the signal it is given', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, clock })
    const controller = new AbortController()
    const load = breaker.wrap(async (signal) => signal)

    await expect(load(controller.signal)).resolves.toBe(controller.signal)
    await expect(load()).resolves.toBeInstanceOf(AbortSignal)
    await failTimes(breaker, 1)
    const error = await rejectionOf(load())

    expect(isCircuitOpenError(error)).toBe(true)
  })

  it('does not count a call whose caller aborted through the loader', async () => {
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, clock: fakeClock() })
    const controller = new AbortController()
    const load = breaker.wrap((signal) => {
      controller.abort()
      return Promise.reject(signal.reason)
    })

    await rejectionOf(load(controller.signal))

    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 0 })
  })

  it('refuses a fn that is not a function at once', () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })

    expect(() => breaker.wrap('query' as unknown as () => number)).toThrow(
      new TypeError('breaker.wrap: fn must be a function, received "query"'),
    )
  })
})

describe('timers', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('never creates one, through every state', async () => {
    vi.useFakeTimers()
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', failureThreshold: 2, clock })
    breaker.on('stateChange', () => undefined)

    await failTimes(breaker, 2)
    await rejectionOf(breaker.execute(succeed))
    clock.advance(30_000)
    await breaker.execute(succeed)
    breaker.isolate()()
    breaker.snapshot()

    expect(vi.getTimerCount()).toBe(0)
  })
})

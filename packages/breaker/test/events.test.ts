import {
  type BreakerSnapshot,
  createBreaker,
  type FailureEvent,
  type RejectionEvent,
  type StateChangeEvent,
  type SuccessEvent,
} from '@ballast/breaker'
import { describe, expect, it, vi } from 'vitest'
import { boom, deferred, failTimes, fakeClock, rejectionOf, succeed } from './support'

describe('breaker events', () => {
  it('reports every state change with from, to, reason and time', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, openMs: 1_000, clock })
    const changes: StateChangeEvent[] = []
    breaker.on('stateChange', (event) => changes.push(event))

    await failTimes(breaker, 1)
    clock.advance(1_000)
    await failTimes(breaker, 1)
    clock.advance(1_000)
    await breaker.execute(succeed)
    const release = breaker.isolate()
    release()
    breaker.isolate()
    breaker.reset()

    expect(changes).toEqual([
      { name: 'op', from: 'closed', to: 'open', reason: 'failure-threshold', at: 0 },
      { name: 'op', from: 'open', to: 'half-open', reason: 'open-elapsed', at: 1_000 },
      { name: 'op', from: 'half-open', to: 'open', reason: 'probe-failed', at: 1_000 },
      { name: 'op', from: 'open', to: 'half-open', reason: 'open-elapsed', at: 2_000 },
      { name: 'op', from: 'half-open', to: 'closed', reason: 'probe-succeeded', at: 2_000 },
      { name: 'op', from: 'closed', to: 'open', reason: 'isolated', at: 2_000 },
      { name: 'op', from: 'open', to: 'closed', reason: 'released', at: 2_000 },
      { name: 'op', from: 'closed', to: 'open', reason: 'isolated', at: 2_000 },
      { name: 'op', from: 'open', to: 'closed', reason: 'reset', at: 2_000 },
    ])
  })

  it('reports the failure-rate reason in rate mode', async () => {
    const breaker = createBreaker({
      name: 'op',
      failureRateThreshold: 1,
      minimumCalls: 2,
      clock: fakeClock(),
    })
    const reasons: string[] = []
    breaker.on('stateChange', (event) => reasons.push(event.reason))

    await failTimes(breaker, 2)

    expect(reasons).toEqual(['failure-rate'])
  })

  it('fires open to half-open when the state is read after the open period', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, openMs: 1_000, clock })
    await failTimes(breaker, 1)
    const listener = vi.fn()
    breaker.on('stateChange', listener)

    clock.advance(1_000)
    expect(listener).not.toHaveBeenCalled()
    expect(breaker.snapshot().state).toBe('half-open')

    expect(listener).toHaveBeenCalledOnce()
  })

  it('reports successes and failures with their duration by the clock', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', clock })
    const successes: SuccessEvent[] = []
    const failures: FailureEvent[] = []
    breaker.on('success', (event) => successes.push(event))
    breaker.on('failure', (event) => failures.push(event))

    await breaker.execute(async () => {
      clock.advance(25)
      return 'ok'
    })
    await rejectionOf(
      breaker.execute(async () => {
        clock.advance(40)
        throw boom
      }),
    )

    expect(successes).toEqual([{ name: 'op', durationMs: 25 }])
    expect(failures).toEqual([{ name: 'op', error: boom, durationMs: 40 }])
  })

  it('gives a null duration for a call that began before anyone listened', async () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })
    const call = deferred<string>()
    const pending = breaker.execute(() => call.promise)
    const listener = vi.fn()
    breaker.on('success', listener)

    call.resolve('ok')
    await pending

    expect(listener).toHaveBeenCalledWith({ name: 'op', durationMs: null })
  })

  it('reports rejections with the state and the next attempt time', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, clock })
    const rejections: RejectionEvent[] = []
    breaker.on('rejection', (event) => rejections.push(event))
    await failTimes(breaker, 1)

    await rejectionOf(breaker.execute(succeed))

    expect(rejections).toEqual([{ name: 'op', state: 'open', nextAttemptAt: 30_000 }])
  })

  it('stops calling a listener once unsubscribed; unsubscribing twice is harmless', async () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })
    const listener = vi.fn()
    const kept = vi.fn()
    const unsubscribe = breaker.on('success', listener)
    breaker.on('success', kept)

    await breaker.execute(succeed)
    unsubscribe()
    unsubscribe()
    await breaker.execute(succeed)

    expect(listener).toHaveBeenCalledOnce()
    expect(kept).toHaveBeenCalledTimes(2)
  })

  it('survives a throwing listener, calls the others and warns the logger', async () => {
    const logger = { warn: vi.fn() }
    const breaker = createBreaker({ name: 'op', clock: fakeClock(), logger })
    const after = vi.fn()
    breaker.on('success', () => {
      throw new Error('listener bug')
    })
    breaker.on('success', after)

    await expect(breaker.execute(succeed)).resolves.toBe('ok')

    expect(after).toHaveBeenCalledOnce()
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ event: 'success' }),
      'breaker event listener threw',
    )
  })

  it('rejects unknown events and listeners that are not functions', () => {
    const breaker = createBreaker({ name: 'op', clock: fakeClock() })

    expect(() => breaker.on('open' as 'success', () => undefined)).toThrow(
      'breaker.on: event must be one of stateChange, success, failure, rejection, received "open"',
    )
    expect(() => breaker.on('success', null as unknown as () => void)).toThrow(TypeError)
  })
})

describe('snapshot', () => {
  it('describes a closed breaker', async () => {
    const breaker = createBreaker({ name: 'pg:get_properties', clock: fakeClock() })
    await breaker.execute(succeed)
    await failTimes(breaker, 2)

    expect(breaker.snapshot()).toEqual({
      name: 'pg:get_properties',
      state: 'closed',
      isolated: false,
      failures: 2,
      calls: 3,
      totals: { successes: 1, failures: 2, rejections: 0 },
      openedAt: null,
      nextAttemptAt: null,
    } satisfies BreakerSnapshot)
  })

  it('describes an open breaker, then a half-open one, at clock time', async () => {
    const clock = fakeClock(0)
    const breaker = createBreaker({ name: 'op', clock })
    await failTimes(breaker, 5)
    await rejectionOf(breaker.execute(succeed))

    expect(breaker.snapshot()).toMatchObject({
      state: 'open',
      failures: 5,
      totals: { successes: 0, failures: 5, rejections: 1 },
      openedAt: 0,
      nextAttemptAt: 30_000,
    })
    clock.advance(30_000)
    expect(breaker.snapshot()).toMatchObject({
      state: 'half-open',
      openedAt: 0,
      nextAttemptAt: 30_000,
    })
  })

  it('is a plain object that survives JSON', async () => {
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, clock: fakeClock() })
    await failTimes(breaker, 1)
    const snapshot = breaker.snapshot()

    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot)
    expect(Object.getPrototypeOf(snapshot)).toBe(Object.prototype)
  })
})

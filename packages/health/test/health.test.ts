import {
  type CheckResult,
  type CheckStatusChangeEvent,
  CheckTimeoutError,
  createHealth,
  EVENT_LOOP_SAMPLE_MS,
  HealthClosedError,
  type ReadinessChangeEvent,
} from '@ballast/health'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { deferred, fakeClock, flush, rejectionOf } from './support'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('createHealth', () => {
  it('runs no check until start() and fails readiness while a critical check has no result', () => {
    const run = vi.fn()
    const health = createHealth({ checks: [{ name: 'postgres', run }] })

    expect(run).not.toHaveBeenCalled()
    expect(health.readiness()).toMatchObject({
      status: 'fail',
      output: 'critical checks without a result yet: postgres',
    })
    expect(health.liveness()).toEqual({ status: 'pass' })
  })

  it('keeps readiness up while a non-critical check has no result yet', () => {
    const health = createHealth({ checks: [{ name: 'redis', critical: false, run: vi.fn() }] })

    expect(health.readiness()).toEqual({ status: 'pass' })
    expect(health.report()).toMatchObject({
      status: 'warn',
      checks: { 'redis:responseTime': [{ status: 'warn', output: 'no result yet' }] },
    })
  })

  it('start() runs every check once and resolves with the report', async () => {
    const postgres = vi.fn()
    const redis = vi.fn()
    const health = createHealth({
      checks: [
        { name: 'postgres', run: postgres },
        { name: 'redis', critical: false, run: redis },
      ],
    })

    const report = await health.start()
    expect(postgres).toHaveBeenCalledTimes(1)
    expect(redis).toHaveBeenCalledTimes(1)
    expect(report.status).toBe('pass')
    expect(health.readiness().status).toBe('pass')
    await health.start()
    expect(postgres).toHaveBeenCalledTimes(1)
    health.close()
  })

  it('start() rejects with the reason of its aborted signal', async () => {
    const gate = deferred()
    const health = createHealth({ checks: [{ name: 'postgres', run: () => gate.promise }] })
    const controller = new AbortController()

    const started = health.start({ signal: controller.signal })
    controller.abort(new Error('boot cancelled'))
    expect(await rejectionOf(started)).toMatchObject({ message: 'boot cancelled' })
    gate.resolve()
    await health.start()
    expect(health.readiness().status).toBe('pass')
    health.close()
  })
})

describe('background refresh', () => {
  it('refreshes critical checks every 30 s and others every 60 s by default', async () => {
    vi.useFakeTimers()
    const critical = vi.fn()
    const other = vi.fn()
    const health = createHealth({
      checks: [
        { name: 'postgres', run: critical },
        { name: 'redis', critical: false, run: other },
      ],
    })
    await health.start()

    await vi.advanceTimersByTimeAsync(30_000)
    expect(critical).toHaveBeenCalledTimes(2)
    expect(other).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(30_000)
    expect(critical).toHaveBeenCalledTimes(3)
    expect(other).toHaveBeenCalledTimes(2)
    health.close()
  })

  it('honours a check’s own intervalMs, counted from the end of the previous run', async () => {
    vi.useFakeTimers()
    const run = vi.fn(() => new Promise<void>((resolve) => setTimeout(resolve, 100)))
    const health = createHealth({ checks: [{ name: 'postgres', intervalMs: 1_000, run }] })
    const started = health.start()
    await vi.advanceTimersByTimeAsync(100)
    await started

    await vi.advanceTimersByTimeAsync(999)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(run).toHaveBeenCalledTimes(2)
    health.close()
  })

  it('uses unref()ed timers that never keep the process alive', async () => {
    const timers: NodeJS.Timeout[] = []
    const realSetTimeout = globalThis.setTimeout
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      ...args: Parameters<typeof setTimeout>
    ) => {
      const timer = realSetTimeout(...args)
      timers.push(timer)
      return timer
    }) as typeof setTimeout)
    const health = createHealth({ checks: [{ name: 'postgres', run: () => undefined }] })

    await health.start()
    expect(timers.length).toBeGreaterThanOrEqual(2)
    expect(timers.every((timer) => !timer.hasRef())).toBe(true)
    health.close()
  })

  it('stops refreshing once closed', async () => {
    vi.useFakeTimers()
    const run = vi.fn()
    const health = createHealth({ checks: [{ name: 'postgres', run }] })
    await health.start()

    health.close()
    await vi.advanceTimersByTimeAsync(120_000)
    expect(run).toHaveBeenCalledTimes(1)
  })
})

describe('refresh', () => {
  it('shares one run between concurrent refreshes of a check', async () => {
    const gate = deferred()
    const run = vi.fn(() => gate.promise)
    const health = createHealth({ checks: [{ name: 'postgres', run }] })

    const first = health.refresh('postgres')
    const second = health.refresh('postgres')
    const all = health.refresh()
    gate.resolve()

    const [a, b, [c]] = await Promise.all([first, second, all])
    expect(run).toHaveBeenCalledTimes(1)
    expect(a).toBe(b)
    expect(c).toBe(a)
  })

  it('resolves with the results of every check in order', async () => {
    const health = createHealth({
      checks: [
        { name: 'postgres', run: () => true },
        { name: 'redis', critical: false, run: () => false },
      ],
    })

    const results = await health.refresh()
    expect(results.map((result) => [result.name, result.status])).toEqual([
      ['postgres', 'pass'],
      ['redis', 'fail'],
    ])
  })

  it('rejects an unknown name with a RangeError naming the checks', async () => {
    const health = createHealth({ checks: [{ name: 'postgres', run: vi.fn() }] })

    const error = await rejectionOf(health.refresh('mysql'))
    expect(error).toBeInstanceOf(RangeError)
    expect((error as Error).message).toBe(
      'health.refresh: name must be one of the checks ("postgres"), received "mysql"',
    )
  })

  it('rejects with a HealthClosedError once closed', async () => {
    const health = createHealth({ checks: [{ name: 'postgres', run: vi.fn() }] })
    health.close()

    expect(await rejectionOf(health.refresh())).toBeInstanceOf(HealthClosedError)
    expect(await rejectionOf(health.start())).toBeInstanceOf(HealthClosedError)
  })
})

describe('a check run', () => {
  it('fails at its timeout and aborts its signal, even if the check ignores it', async () => {
    vi.useFakeTimers()
    let signal: AbortSignal | undefined
    let finish: (() => void) | undefined
    const health = createHealth({
      checks: [
        {
          name: 'postgres',
          timeoutMs: 2_000,
          run: (received) => {
            signal = received
            return new Promise<void>((resolve) => {
              finish = resolve
            })
          },
        },
      ],
    })

    const refreshed = health.refresh('postgres')
    await vi.advanceTimersByTimeAsync(1_999)
    expect(signal?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    const result = await refreshed

    expect(result.status).toBe('fail')
    expect(result.error).toBeInstanceOf(CheckTimeoutError)
    expect(result.output).toBe('Health check "postgres" took longer than 2000 ms')
    expect(signal?.reason).toBe(result.error)
    finish?.()
    await flush()
    expect(health.readiness().status).toBe('fail')
  })

  it('reads outcomes: nothing or true pass, false fails, objects say more', async () => {
    const clock = fakeClock()
    const health = createHealth({
      clock,
      checks: [
        { name: 'a', run: () => undefined },
        { name: 'b', run: () => false },
        {
          name: 'pool',
          measurement: 'connections',
          componentId: 'db-1',
          run: () => ({
            status: 'warn',
            observedValue: 9,
            observedUnit: 'connections',
            output: '9 of 10',
          }),
        },
        { name: 'c', run: () => ({ status: 'broken' as 'pass' }) },
      ],
    })

    const [a, b, pool, c] = await health.refresh()
    expect(a).toMatchObject({ status: 'pass', observedValue: 0, observedUnit: 'ms' })
    expect(b).toMatchObject({ status: 'fail', output: 'the check returned false' })
    expect(pool).toMatchObject({ status: 'warn', observedValue: 9, observedUnit: 'connections' })
    expect(c).toMatchObject({ status: 'fail', output: 'the check returned status "broken"' })
    expect(health.report().checks['pool:connections']).toEqual([
      {
        componentId: 'db-1',
        componentType: 'component',
        observedValue: 9,
        observedUnit: 'connections',
        status: 'warn',
        time: '2030-01-01T00:00:00.000Z',
        output: '9 of 10',
      },
    ])
  })

  it('fails with the error message when the check throws, synchronously or not', async () => {
    const health = createHealth({
      checks: [
        {
          name: 'sync',
          run: () => {
            throw new Error('connect ECONNREFUSED')
          },
        },
        { name: 'async', run: async () => Promise.reject(new Error('timeout acquiring client')) },
      ],
    })

    const [sync, later] = await health.refresh()
    expect(sync).toMatchObject({ status: 'fail', output: 'connect ECONNREFUSED' })
    expect(later).toMatchObject({ status: 'fail', output: 'timeout acquiring client' })
    expect(later?.error).toBeInstanceOf(Error)
  })

  it('measures its duration on the injected clock', async () => {
    const clock = fakeClock()
    const health = createHealth({
      clock,
      checks: [
        {
          name: 'postgres',
          run: async () => {
            clock.advance(42)
          },
        },
      ],
    })

    const result = await health.refresh('postgres')
    expect(result).toMatchObject({ durationMs: 42, observedValue: 42, time: clock.now() })
  })

  it('is aborted by close(), and its late result is dropped', async () => {
    let signal: AbortSignal | undefined
    const health = createHealth({
      checks: [
        {
          name: 'postgres',
          run: (received) => {
            signal = received
            return new Promise<void>((_resolve, reject) => {
              received.addEventListener('abort', () => reject(received.reason))
            })
          },
        },
      ],
    })
    const listener = vi.fn()
    health.on('checkResult', listener)

    const refreshed = health.refresh('postgres')
    health.close()
    const result = await refreshed
    expect(signal?.reason).toBeInstanceOf(HealthClosedError)
    expect(result.status).toBe('fail')
    expect(listener).not.toHaveBeenCalled()
  })
})

describe('probes', () => {
  it('answer from the last result with one cached object, running nothing', async () => {
    const run = vi.fn()
    const health = createHealth({ checks: [{ name: 'postgres', run }] })
    await health.refresh()

    const first = health.readiness()
    for (let i = 0; i < 100; i++) {
      expect(health.readiness()).toBe(first)
      expect(health.liveness()).toBe(health.liveness())
    }
    expect(run).toHaveBeenCalledTimes(1)
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('keep liveness passing while a critical check fails', async () => {
    const health = createHealth({ checks: [{ name: 'postgres', run: () => false }] })
    await health.refresh()

    expect(health.readiness()).toMatchObject({
      status: 'fail',
      output: 'critical checks failing: postgres',
    })
    expect(health.liveness()).toEqual({ status: 'pass' })
  })

  it('let readiness warn, with 200, while a critical check warns', async () => {
    const health = createHealth({ checks: [{ name: 'pool', run: () => ({ status: 'warn' }) }] })
    await health.refresh()

    expect(health.readiness()).toMatchObject({
      status: 'warn',
      output: 'critical checks warning: pool',
    })
  })

  it('fail liveness once closed', () => {
    const health = createHealth()
    health.close()

    expect(health.liveness()).toEqual({ status: 'fail', output: 'closed' })
    expect(health.readiness()).toEqual({ status: 'fail', output: 'closed' })
    expect(health.closed).toBe(true)
  })

  it('fail liveness while the event loop was late beyond maxEventLoopDelayMs', async () => {
    vi.useFakeTimers()
    const health = createHealth({ maxEventLoopDelayMs: 500 })
    await health.start()

    vi.setSystemTime(Date.now() + 800)
    await vi.advanceTimersByTimeAsync(EVENT_LOOP_SAMPLE_MS)
    expect(health.liveness()).toEqual({
      status: 'fail',
      output: 'event loop delayed by 800 ms, over the 500 ms limit',
    })
    await vi.advanceTimersByTimeAsync(EVENT_LOOP_SAMPLE_MS)
    expect(health.liveness()).toEqual({ status: 'pass' })
    health.close()
  })
})

describe('events', () => {
  it('emits checkStatusChange from unknown, then on each change of status only', async () => {
    let healthy = true
    const health = createHealth({ checks: [{ name: 'postgres', run: () => healthy }] })
    const changes: CheckStatusChangeEvent[] = []
    const results: CheckResult[] = []
    health.on('checkStatusChange', (event) => changes.push(event))
    health.on('checkResult', (result) => results.push(result))

    await health.refresh()
    await health.refresh()
    healthy = false
    await health.refresh()

    expect(results).toHaveLength(3)
    expect(changes.map(({ name, from, to }) => ({ name, from, to }))).toEqual([
      { name: 'postgres', from: 'unknown', to: 'pass' },
      { name: 'postgres', from: 'pass', to: 'fail' },
    ])
    expect(changes[1]?.result).toBe(results[2])
  })

  it('emits readinessChange when readiness changes status', async () => {
    let healthy = true
    const health = createHealth({ checks: [{ name: 'postgres', run: () => healthy }] })
    const changes: ReadinessChangeEvent[] = []
    health.on('readinessChange', (event) => changes.push(event))

    await health.refresh()
    healthy = false
    await health.refresh()
    await health.refresh()

    expect(changes.map(({ from, to, output }) => ({ from, to, output }))).toEqual([
      { from: 'fail', to: 'pass', output: undefined },
      { from: 'pass', to: 'fail', output: 'critical checks failing: postgres' },
    ])
  })

  it('returns an unsubscribe function, and reports a throwing listener to the logger', async () => {
    const warn = vi.fn()
    const health = createHealth({ logger: { warn }, checks: [{ name: 'postgres', run: vi.fn() }] })
    const boom = new Error('listener bug')
    const unsubscribe = health.on('checkResult', () => {
      throw boom
    })

    await health.refresh()
    unsubscribe()
    await health.refresh()
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn).toHaveBeenCalledWith(
      { err: boom, event: 'checkResult' },
      'health event listener threw',
    )
  })

  it('rejects an unknown event name', () => {
    const health = createHealth()

    expect(() => health.on('nope' as 'drainEnd', vi.fn())).toThrow(
      'health.on: event must be one of checkResult, checkStatusChange, readinessChange, ' +
        'drainStart, drainPhase, closerFailure, drainEnd, received "nope"',
    )
  })
})

import {
  type Clock,
  createRecorder,
  DEFAULT_BUDGETS,
  isTimeoutError,
  OVERFLOW_OPERATION,
  type ViolationEvent,
} from '@ballast/timing'
import { afterEach, describe, expect, it, vi } from 'vitest'

/** A clock that moves only when the test says so. */
function manualClock(start = 0) {
  let now = start
  const clock: Clock = { now: () => now }
  return {
    clock,
    advance(ms: number) {
      now += ms
    },
  }
}

const memoryUsage = () => ({ heapUsed: 1_000, rss: 2_000 })

function statsOf(recorder: { snapshot(): { operations: readonly { operation: string }[] } }) {
  return (operation: string) => {
    const found = recorder.snapshot().operations.find((entry) => entry.operation === operation)
    if (found === undefined) throw new Error(`no operation ${operation}`)
    return found as ReturnType<ReturnType<typeof createRecorder>['snapshot']>['operations'][0]
  }
}

describe('createRecorder', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('starts from the default budgets and a 5 s hard limit', () => {
    const recorder = createRecorder()

    expect(recorder.budgets).toEqual({ critical: 100, read: 200, write: 500, delete: 300 })
    expect(recorder.budgets).toEqual(DEFAULT_BUDGETS)
    expect(recorder.hardLimitMs).toBe(5000)
  })

  it('merges custom budgets over the defaults and adds new classes', () => {
    const recorder = createRecorder({ budgets: { read: 150, search: 800 } })

    expect(recorder.budgets).toEqual({
      critical: 100,
      read: 150,
      write: 500,
      delete: 300,
      search: 800,
    })
  })

  it('times a call with the clock and records it under its operation', async () => {
    const { clock, advance } = manualClock()
    const recorder = createRecorder({ clock, memoryUsage })

    const value = await recorder.time('read', 'GET /properties', async () => {
      advance(42)
      return 'rows'
    })

    expect(value).toBe('rows')
    const stats = statsOf(recorder)('GET /properties')
    expect(stats).toMatchObject({ class: 'read', budgetMs: 200 })
    expect(stats.total).toMatchObject({ count: 1, errors: 0, min: 42, max: 42, mean: 42 })
    expect(stats.window).toEqual(stats.total)
  })

  it('emits violation with operation, class, duration and budget when over budget', async () => {
    const { clock, advance } = manualClock()
    const recorder = createRecorder({ clock })
    const violations: ViolationEvent[] = []
    recorder.on('violation', (event) => violations.push(event))

    await recorder.time('read', 'within', async () => advance(200))
    await recorder.time('read', 'over', async () => advance(201))

    expect(violations).toEqual([
      { operation: 'over', class: 'read', durationMs: 201, budgetMs: 200, failed: false },
    ])
  })

  it('judges each class against its own budget', () => {
    const recorder = createRecorder({ budgets: { search: 800 } })
    const violated: string[] = []
    recorder.on('violation', (event) => violated.push(event.class))

    for (const [budgetClass, budgetMs] of Object.entries(recorder.budgets)) {
      const name = budgetClass as keyof typeof recorder.budgets
      recorder.record(name, `${budgetClass} at budget`, budgetMs)
      recorder.record(name, `${budgetClass} over budget`, budgetMs + 0.5)
    }

    expect(violated).toEqual(['critical', 'read', 'write', 'delete', 'search'])
  })

  it('records a failed call as an error, and as a violation when it was also slow', async () => {
    const { clock, advance } = manualClock()
    const recorder = createRecorder({ clock })
    const violations: ViolationEvent[] = []
    recorder.on('violation', (event) => violations.push(event))
    const boom = new Error('boom')

    await expect(recorder.time('write', 'save', () => Promise.reject(boom))).rejects.toBe(boom)
    const slow = recorder.time('write', 'save', async () => {
      advance(600)
      throw boom
    })
    await expect(slow).rejects.toBe(boom)

    expect(statsOf(recorder)('save').total).toMatchObject({
      count: 2,
      errors: 2,
      timeouts: 0,
      violations: 1,
      withinBudget: 0.5,
    })
    expect(violations).toEqual([
      { operation: 'save', class: 'write', durationMs: 600, budgetMs: 500, failed: true },
    ])
  })

  it('cuts a call off at the hard limit with a TimeoutError and records the timeout', async () => {
    vi.useFakeTimers()
    const recorder = createRecorder({ hardLimitMs: 1000, clock: { now: () => Date.now() } })
    let seen: AbortSignal | undefined

    const call = recorder.time('critical', 'hang', (signal) => {
      seen = signal
      return new Promise<never>(() => {})
    })
    const outcome = call.catch((error: unknown) => error)
    await vi.advanceTimersByTimeAsync(1000)

    expect(isTimeoutError(await outcome)).toBe(true)
    expect(seen?.aborted).toBe(true)
    expect(statsOf(recorder)('hang').total).toMatchObject({
      count: 1,
      errors: 1,
      timeouts: 1,
      violations: 1,
      max: 1000,
    })
  })

  it('cuts a call off at 5 s by default', async () => {
    vi.useFakeTimers()
    const recorder = createRecorder({ clock: { now: () => Date.now() } })

    const outcome = recorder.time('write', 'hang', () => new Promise(() => {})).catch((e) => e)
    await vi.advanceTimersByTimeAsync(4_999)
    expect(recorder.snapshot().operations).toEqual([])
    await vi.advanceTimersByTimeAsync(1)

    expect(await outcome).toMatchObject({ code: 'BALLAST_TIMEOUT', timeoutMs: 5_000 })
    expect(statsOf(recorder)('hang').total).toMatchObject({ count: 1, timeouts: 1, max: 5_000 })
  })

  it("passes the caller's signal through to the call", async () => {
    const caller = new AbortController()
    const reason = new Error('client left')
    const recorder = createRecorder()

    const call = recorder.time('read', 'list', () => new Promise(() => {}), {
      signal: caller.signal,
    })
    caller.abort(reason)

    await expect(call).rejects.toBe(reason)
    expect(statsOf(recorder)('list').total).toMatchObject({ count: 1, errors: 1, timeouts: 0 })
  })

  it('neither calls nor records a call whose signal is already aborted', async () => {
    const recorder = createRecorder({ memoryUsage })
    const fn = vi.fn(async () => 1)
    const reason = new Error('shutting down')

    await expect(
      recorder.time('read', 'list', fn, { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason)
    expect(fn).not.toHaveBeenCalled()
    expect(recorder.snapshot().operations).toEqual([])
  })

  it('forgets samples older than the window while the totals keep them', () => {
    const { clock, advance } = manualClock()
    const recorder = createRecorder({ clock, windowMs: 60_000, windowSlots: 6 })
    const stats = statsOf(recorder)

    recorder.record('read', 'list', 10)
    advance(30_000)
    recorder.record('read', 'list', 20)
    expect(stats('list').window).toMatchObject({ count: 2, min: 10, max: 20 })

    advance(35_000)
    expect(stats('list').window).toMatchObject({ count: 1, min: 20, max: 20 })

    advance(60_000)
    expect(stats('list').window).toMatchObject({ count: 0, p99: 0, withinBudget: 1 })
    expect(stats('list').total).toMatchObject({ count: 2, min: 10, max: 20 })
  })

  it('reuses a slot when its turn comes round again, without mixing epochs', () => {
    const { clock, advance } = manualClock()
    const recorder = createRecorder({ clock, windowMs: 3_000, windowSlots: 3 })

    for (let second = 0; second < 10; second++) {
      recorder.record('read', 'tick', second + 1)
      advance(1_000)
    }
    advance(-1_000)

    expect(statsOf(recorder)('tick').window).toMatchObject({ count: 3, min: 8, max: 10 })
    expect(statsOf(recorder)('tick').total).toMatchObject({ count: 10, min: 1, max: 10 })
  })

  it('records calls under OVERFLOW_OPERATION beyond maxOperations', () => {
    const recorder = createRecorder({ maxOperations: 2, memoryUsage })

    for (let id = 0; id < 50; id++) recorder.record('read', `GET /properties/${id}`, 5)

    const names = recorder.snapshot().operations.map((entry) => entry.operation)
    expect(names).toEqual(['GET /properties/0', 'GET /properties/1', OVERFLOW_OPERATION])
    expect(statsOf(recorder)(OVERFLOW_OPERATION).total.count).toBe(48)
  })

  it('takes a plain JSON snapshot with memory and both periods per operation', () => {
    const { clock } = manualClock()
    const recorder = createRecorder({ clock, memoryUsage })
    recorder.record('read', 'list', 12.5)
    recorder.record('read', 'list', 250, { failed: true })

    const snapshot = recorder.snapshot()

    const stats = {
      count: 2,
      errors: 1,
      timeouts: 0,
      violations: 1,
      withinBudget: 0.5,
      min: 12.5,
      mean: 131.25,
      p50: 12.5,
      p95: 250,
      p99: 250,
      max: 250,
    }
    expect(snapshot).toEqual({
      windowMs: 60_000,
      hardLimitMs: 5000,
      memory: { heapUsed: 1_000, rss: 2_000 },
      operations: [
        { operation: 'list', class: 'read', budgetMs: 200, window: stats, total: stats },
      ],
    })
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot)
  })

  it('samples memory when each snapshot is taken', () => {
    let heapUsed = 0
    const recorder = createRecorder({
      memoryUsage: () => {
        heapUsed += 100
        return { heapUsed, rss: heapUsed * 2 }
      },
    })

    expect(recorder.snapshot().memory).toEqual({ heapUsed: 100, rss: 200 })
    expect(recorder.snapshot().memory).toEqual({ heapUsed: 200, rss: 400 })
  })

  it('samples process memory by default', () => {
    const { memory } = createRecorder().snapshot()

    expect(memory.heapUsed).toBeGreaterThan(0)
    expect(memory.rss).toBeGreaterThan(0)
  })

  it('records externally measured durations, timeouts included', () => {
    const recorder = createRecorder()
    recorder.record('delete', 'DELETE /properties/:id', 20, { timedOut: true })

    expect(statsOf(recorder)('DELETE /properties/:id').total).toMatchObject({
      count: 1,
      errors: 1,
      timeouts: 1,
    })
  })

  it('keeps the class an operation was first recorded with', () => {
    const recorder = createRecorder()
    recorder.record('read', 'mixed', 1)
    recorder.record('write', 'mixed', 1)

    expect(statsOf(recorder)('mixed')).toMatchObject({ class: 'read', budgetMs: 200 })
  })

  it('rejects an unknown class without calling fn', async () => {
    const recorder = createRecorder()
    const fn = vi.fn(async () => 1)
    const unknownClass = 'slow' as 'read'

    await expect(recorder.time(unknownClass, 'x', fn)).rejects.toThrow(
      new TypeError(
        'recorder.time: budgetClass must be one of critical, read, write, delete, received "slow"',
      ),
    )
    expect(fn).not.toHaveBeenCalled()
    expect(() => recorder.record(unknownClass, 'x', 1)).toThrow(TypeError)
  })

  it('rejects a fn that is not a function, and records nothing', async () => {
    const recorder = createRecorder({ memoryUsage })

    await expect(recorder.time('read', 'x', 42 as unknown as () => number)).rejects.toThrow(
      new TypeError('recorder.time: fn must be a function, received 42'),
    )
    expect(recorder.snapshot().operations).toEqual([])
  })

  it('still settles the call when the clock throws at its end, and tells the logger', async () => {
    const warn = vi.fn()
    let readings = 0
    const clock = {
      now: () => {
        readings++
        if (readings > 1) throw new Error('clock broke')
        return 0
      },
    }
    const recorder = createRecorder({ clock, logger: { warn } })

    await expect(recorder.time('read', 'x', async () => 'value')).resolves.toBe('value')
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ operation: 'x' }),
      'recorder could not record a call',
    )
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects a recorded duration of %s',
    (durationMs) => {
      expect(() => createRecorder().record('read', 'x', durationMs)).toThrow(
        new RangeError(
          `recorder.record: durationMs must be a finite number >= 0, received ${durationMs}`,
        ),
      )
    },
  )

  it('keeps working when a violation listener throws, and tells the logger', () => {
    const warn = vi.fn()
    const recorder = createRecorder({ logger: { warn } })
    const after = vi.fn()
    recorder.on('violation', () => {
      throw new Error('listener bug')
    })
    recorder.on('violation', after)

    recorder.record('critical', 'x', 150)

    expect(after).toHaveBeenCalledOnce()
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ event: 'violation' }),
      'recorder violation listener threw',
    )
    expect(statsOf(recorder)('x').total.count).toBe(1)
  })

  it('stops calling a listener once unsubscribed', () => {
    const recorder = createRecorder()
    const listener = vi.fn()
    const unsubscribe = recorder.on('violation', listener)

    recorder.record('critical', 'x', 150)
    unsubscribe()
    unsubscribe()
    recorder.record('critical', 'x', 150)

    expect(listener).toHaveBeenCalledOnce()
  })

  it('refuses an unknown event name', () => {
    const recorder = createRecorder()
    const on = recorder.on.bind(recorder) as (event: string, listener: () => void) => () => void

    expect(() => on('violaton', () => {})).toThrow(
      new TypeError('recorder.on: event must be one of violation, received "violaton"'),
    )
  })

  it.each([
    [{ hardLimitMs: 0 }, RangeError, 'options.hardLimitMs must be a number > 0'],
    [{ windowMs: -1 }, RangeError, 'options.windowMs must be a finite number > 0, received -1'],
    [{ windowSlots: 1.5 }, RangeError, 'options.windowSlots must be a positive integer'],
    [{ maxOperations: 0 }, RangeError, 'options.maxOperations must be a positive integer'],
    [{ budgets: { read: -5 } }, RangeError, 'options.budgets.read must be a number > 0'],
    [{ hardLimitMs: 400 }, RangeError, 'options.budgets.write must be a number > 0 and <= '],
    [{ clock: {} }, TypeError, 'options.clock must be an object with a now() method'],
    [{ memoryUsage: 5 }, TypeError, 'options.memoryUsage must be a function, received 5'],
    [{ logger: {} }, TypeError, 'options.logger must be an object with a warn() method'],
    [{ histogram: { precisionBits: 0 } }, RangeError, 'options.histogram.precisionBits must be'],
    [{ histogram: 3 }, TypeError, 'options.histogram must be an object, received 3'],
  ])('rejects bad options %o at construction', (options, kind, message) => {
    const create = () => createRecorder(options as Parameters<typeof createRecorder>[0])

    expect(create).toThrow(kind)
    expect(create).toThrow(`createRecorder: ${message}`)
  })
})

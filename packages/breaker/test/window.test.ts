import { describe, expect, it } from 'vitest'
import { RollingWindow } from '../src/window'

/** The bucket arrays, read past `private` to show the memory the window holds. */
function buckets(window: RollingWindow): { calls: number[]; failures: number[] } {
  const inner = window as unknown as { callsPerBucket: number[]; failuresPerBucket: number[] }
  return { calls: inner.callsPerBucket, failures: inner.failuresPerBucket }
}

describe('RollingWindow', () => {
  it('keeps a fixed ring of counters whatever the number of calls', () => {
    const window = new RollingWindow(60_000, 10)

    for (let call = 0; call < 100_000; call++) window.record(call * 7, call % 3 === 0)

    expect(buckets(window).calls).toHaveLength(10)
    expect(buckets(window).failures).toHaveLength(10)
    expect(window.calls).toBe(buckets(window).calls.reduce((sum, n) => sum + n, 0))
    expect(window.failures).toBe(buckets(window).failures.reduce((sum, n) => sum + n, 0))
  })

  it('counts the calls of the buckets still inside the window', () => {
    const window = new RollingWindow(1_000, 4)

    window.record(0, true)
    window.record(250, false)
    window.record(999, true)
    expect({ calls: window.calls, failures: window.failures }).toEqual({ calls: 3, failures: 2 })
    window.advance(1_000)
    expect({ calls: window.calls, failures: window.failures }).toEqual({ calls: 2, failures: 1 })
    window.advance(5_000)
    expect({ calls: window.calls, failures: window.failures }).toEqual({ calls: 0, failures: 0 })
  })

  it('dates undated calls at the next reading', () => {
    const window = new RollingWindow(1_000, 4)

    window.undatedCalls += 2
    window.advance(600)
    window.advance(1_100)

    expect(window.calls).toBe(2)
    window.advance(1_500)
    expect(window.calls).toBe(0)
  })

  it('records into the newest bucket when the clock goes back', () => {
    const window = new RollingWindow(1_000, 4)

    window.record(900, true)
    window.record(100, true)
    window.advance(1_000)

    expect(window.failures).toBe(2)
  })
})

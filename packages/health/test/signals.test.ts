import { createHealth, type DrainSummary, HealthClosedError } from '@ballast/health'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { deferred, flush } from './support'

afterEach(() => {
  vi.useRealTimers()
})

describe('handleSignals', () => {
  it('drains once on the first signal and then calls onDrained with the summary', async () => {
    const health = createHealth({ readinessDelayMs: 0 })
    const drained = deferred<[DrainSummary, NodeJS.Signals]>()
    const drain = vi.spyOn(health, 'drain')
    const before = process.listenerCount('SIGTERM')
    health.handleSignals(['SIGTERM'], {
      onDrained: (summary, signal) => drained.resolve([summary, signal]),
    })
    expect(process.listenerCount('SIGTERM')).toBe(before + 1)

    process.emit('SIGTERM')
    const [summary, signal] = await drained.promise
    expect(signal).toBe('SIGTERM')
    expect(summary.reason).toBe('SIGTERM')
    expect(drain).toHaveBeenCalledTimes(1)
    expect(process.listenerCount('SIGTERM')).toBe(before)
  })

  it('cuts the waits of the drain short on a second signal', async () => {
    vi.useFakeTimers()
    const health = createHealth({ readinessDelayMs: 60_000, graceMs: 60_000 })
    const onDrained = vi.fn()
    health.handleSignals(['SIGINT', 'SIGTERM'], { onDrained })

    process.emit('SIGINT')
    await flush()
    expect(health.draining).toBe(true)
    process.emit('SIGINT')
    await vi.advanceTimersByTimeAsync(0)
    expect(onDrained).toHaveBeenCalledTimes(1)
    const [summary, signal] = onDrained.mock.calls[0] as [DrainSummary, NodeJS.Signals]
    expect(signal).toBe('SIGINT')
    expect(summary.aborted).toBe(true)
  })

  it('passes drain options through', async () => {
    vi.useFakeTimers()
    const health = createHealth()
    const onDrained = vi.fn()
    health.handleSignals(['SIGTERM'], { drain: { readinessDelayMs: 0, graceMs: 0 }, onDrained })

    process.emit('SIGTERM')
    await vi.advanceTimersByTimeAsync(0)
    expect(onDrained).toHaveBeenCalledTimes(1)
  })

  it('returns a disposer that removes the listeners, and close() removes them too', () => {
    const health = createHealth()
    const before = process.listenerCount('SIGTERM')

    const dispose = health.handleSignals()
    expect(process.listenerCount('SIGTERM')).toBe(before + 1)
    expect(process.listenerCount('SIGINT')).toBeGreaterThan(0)
    dispose()
    dispose()
    expect(process.listenerCount('SIGTERM')).toBe(before)

    health.handleSignals()
    health.close()
    expect(process.listenerCount('SIGTERM')).toBe(before)
  })

  it('rejects bad signals and refuses once closed', () => {
    const health = createHealth()

    expect(() => health.handleSignals([] as NodeJS.Signals[])).toThrow(
      'health.handleSignals: signals must be a non-empty array of signal names, received an array',
    )
    health.close()
    expect(() => health.handleSignals()).toThrow(HealthClosedError)
  })
})

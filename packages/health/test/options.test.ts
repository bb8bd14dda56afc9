import { createHealth, type HealthCheck, type HealthOptions } from '@ballast/health'
import { describe, expect, it } from 'vitest'

const ok: HealthCheck = { name: 'postgres', run: () => undefined }

function creating(options: unknown): () => unknown {
  return () => createHealth(options as HealthOptions)
}

describe('createHealth options', () => {
  it('rejects duplicate check names at construction with a RangeError', () => {
    const create = creating({ checks: [ok, { name: 'redis', run: ok.run }, { ...ok }] })

    expect(create).toThrow(RangeError)
    expect(create).toThrow(
      'createHealth: options.checks[2].name must be unique among the checks, ' +
        'received "postgres" a second time',
    )
  })

  it('rejects checks without a name or run function with a TypeError', () => {
    expect(creating({ checks: [{ run: ok.run }] })).toThrow(
      'createHealth: options.checks[0].name must be a non-empty string, received undefined',
    )
    expect(creating({ checks: [{ name: 'postgres' }] })).toThrow(
      'createHealth: options.checks[0].run must be a function, received undefined',
    )
    expect(creating({ checks: ok })).toThrow(
      'createHealth: options.checks must be an array of checks, received an object',
    )
  })

  it('rejects a timeout longer than the interval, and out-of-range durations', () => {
    expect(creating({ checks: [{ ...ok, intervalMs: 1_000, timeoutMs: 2_000 }] })).toThrow(
      'createHealth: options.checks[0].timeoutMs must be at most intervalMs (1000), received 2000',
    )
    expect(creating({ checks: [{ ...ok, timeoutMs: 0 }] })).toThrow(RangeError)
    expect(creating({ checks: [{ ...ok, intervalMs: '30s' }] })).toThrow(TypeError)
    expect(creating({ readinessDelayMs: -1 })).toThrow(
      'createHealth: options.readinessDelayMs must be a number of milliseconds from 0 to ' +
        '2147483647, received -1',
    )
    expect(creating({ graceMs: Number.NaN })).toThrow(RangeError)
    expect(creating({ closerTimeoutMs: 0 })).toThrow(RangeError)
    expect(creating({ maxEventLoopDelayMs: 0 })).toThrow(RangeError)
  })

  it('defaults the timeout to the interval when the interval is under 5 s', () => {
    expect(() => createHealth({ checks: [{ ...ok, intervalMs: 1_000 }] })).not.toThrow()
  })

  it('rejects a non-boolean critical flag and empty report fields', () => {
    expect(creating({ checks: [{ ...ok, critical: 'yes' }] })).toThrow(
      'createHealth: options.checks[0].critical must be a boolean, received "yes"',
    )
    expect(creating({ releaseId: '' })).toThrow(
      'createHealth: options.releaseId must be a non-empty string, received ""',
    )
  })

  it('rejects a clock without now(), a logger without warn() and malformed sources', () => {
    expect(creating({ clock: Date })).toThrow(
      'createHealth: options.clock must be an object with a now() method, received a function',
    )
    expect(creating({ logger: {} })).toThrow(
      'createHealth: options.logger must be an object with a warn() method, received an object',
    )
    expect(creating({ sources: { breakers: {} } })).toThrow(
      'createHealth: options.sources.breakers must be an object with a snapshot() method, ' +
        'received an object',
    )
    expect(creating({ sources: { caches: { properties: 1 } } })).toThrow(
      'createHealth: options.sources.caches.properties must be an object with a stats() method, ' +
        'received 1',
    )
  })

  it('rejects options that are not an object', () => {
    expect(creating(null)).toThrow('createHealth: options must be an object, received null')
  })
})

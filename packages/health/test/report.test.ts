import { createBreaker, createBreakerRegistry } from '@ballast/breaker'
import { createCache } from '@ballast/cache'
import { createHealth, type HealthCheckEntry } from '@ballast/health'
import { createRecorder } from '@ballast/timing'
import { describe, expect, it } from 'vitest'
import { fakeClock } from './support'

const TIME = '2030-01-01T00:00:00.000Z'

async function failOnce(breaker: { execute(fn: () => Promise<never>): Promise<unknown> }) {
  await breaker
    .execute(async () => {
      throw new Error('connection refused')
    })
    .catch(() => undefined)
}

describe('report', () => {
  it('has the application/health+json shape, identity fields included', async () => {
    const health = createHealth({
      clock: fakeClock(),
      version: '2',
      releaseId: '2.4.1+9f3c2ab',
      serviceId: 'property-api-7d9f',
      description: 'Property listings API',
      checks: [{ name: 'postgres', componentType: 'datastore', run: () => undefined }],
    })
    await health.refresh()

    const report = health.report()
    expect(Object.keys(report)).toEqual([
      'status',
      'version',
      'releaseId',
      'serviceId',
      'description',
      'checks',
    ])
    expect(report).toMatchObject({ status: 'pass', version: '2', releaseId: '2.4.1+9f3c2ab' })
    expect(report.checks['postgres:responseTime']).toEqual([
      {
        componentType: 'datastore',
        observedValue: 0,
        observedUnit: 'ms',
        status: 'pass',
        time: TIME,
      },
    ])
    expect(report.checks.uptime?.[0]).toMatchObject({
      componentType: 'system',
      observedUnit: 's',
      status: 'pass',
    })
  })

  it('is warn when a non-critical check fails and fail when a critical one fails', async () => {
    let postgres = true
    const health = createHealth({
      checks: [
        { name: 'postgres', run: () => postgres },
        { name: 'redis', critical: false, run: () => false },
      ],
    })
    await health.refresh()
    expect(health.report()).toMatchObject({
      status: 'warn',
      output: 'not passing: redis:responseTime',
    })
    expect(health.report().checks['redis:responseTime']?.[0]).toMatchObject({
      status: 'fail',
      output: 'the check returned false',
    })

    postgres = false
    await health.refresh()
    expect(health.report()).toMatchObject({
      status: 'fail',
      output:
        'critical checks failing: postgres; not passing: postgres:responseTime, redis:responseTime',
    })
  })

  it('is fail while draining, as readiness is', async () => {
    const health = createHealth({ readinessDelayMs: 60_000 })
    void health.drain()

    expect(health.report()).toMatchObject({ status: 'fail', output: 'draining' })
    health.close()
  })
})

describe('report with breakers', () => {
  it('reports a closed breaker as pass, an open one as warn, liveness untouched', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'pg:get_properties', failureThreshold: 1, clock })
    const health = createHealth({ clock, sources: { breakers: breaker } })
    expect(health.report().checks['pg:get_properties:circuit']).toEqual([
      { componentType: 'component', observedValue: 'closed', status: 'pass', time: TIME },
    ])

    await failOnce(breaker)
    expect(breaker.state).toBe('open')
    const report = health.report()
    expect(report.status).toBe('warn')
    expect(report.checks['pg:get_properties:circuit']).toEqual([
      {
        componentType: 'component',
        observedValue: 'open',
        status: 'warn',
        time: TIME,
        output: 'circuit open: 1 of 1 calls failed in the window',
      },
    ])
    expect(health.liveness().status).toBe('pass')
    expect(health.readiness().status).toBe('pass')
  })

  it('reports every breaker of a registry, an isolated one as warn', () => {
    const clock = fakeClock()
    const registry = createBreakerRegistry({
      defaults: { failureThreshold: 1, openMs: 1_000, clock },
    })
    registry.get('pg:get_properties')
    registry.get('geocoder').isolate()
    const health = createHealth({ clock, sources: { breakers: registry } })

    clock.advance(1_000)
    const { checks } = health.report()
    expect(checks['pg:get_properties:circuit']?.[0]?.status).toBe('pass')
    expect(checks['geocoder:circuit']?.[0]).toMatchObject({
      status: 'warn',
      output: 'circuit open: isolated by hand',
    })
  })

  it('reports half-open as warn', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'geocoder', failureThreshold: 1, openMs: 1_000, clock })
    const health = createHealth({ clock, sources: { breakers: breaker } })
    await failOnce(breaker)

    clock.advance(1_000)
    expect(health.report().checks['geocoder:circuit']?.[0]).toMatchObject({
      observedValue: 'half-open',
      status: 'warn',
    })
  })
})

describe('report with caches', () => {
  it('reports the numbers of stats() as observed values with units', async () => {
    const cache = createCache({ clock: fakeClock() })
    await cache.get('property:7', () => ({ id: 7, street: '12 Harbour Row' }))
    await cache.get('property:7', () => ({ id: 7, street: '12 Harbour Row' }))
    const health = createHealth({ clock: fakeClock(), sources: { caches: { properties: cache } } })

    const { checks, status } = health.report()
    const stats = cache.stats()
    expect(status).toBe('pass')
    expect(checks['properties:hitRatio']).toEqual([
      {
        componentType: 'datastore',
        observedValue: 0.5,
        observedUnit: 'ratio',
        status: 'pass',
        time: TIME,
      },
    ])
    expect(checks['properties:entries']?.[0]).toMatchObject({ observedValue: 1, status: 'pass' })
    expect(checks['properties:entries']?.[0]).not.toHaveProperty('observedUnit')
    expect(checks['properties:bytes']?.[0]).toMatchObject({
      observedValue: stats.bytes,
      observedUnit: 'bytes',
    })
    expect(checks['properties:misses']?.[0]?.observedValue).toBe(1)
    cache.close()
  })
})

describe('report with timing', () => {
  it('reports p50, p95 and p99 per operation, warning while p95 is over budget', () => {
    const clock = fakeClock()
    const recorder = createRecorder({ clock, memoryUsage: () => ({ heapUsed: 1_000, rss: 2_000 }) })
    for (let i = 0; i < 10; i++) recorder.record('read', 'GET /properties', 20)
    for (let i = 0; i < 90; i++) recorder.record('write', 'POST /properties', i < 80 ? 100 : 900)
    const health = createHealth({ clock, sources: { timing: recorder } })

    const { checks, status, output } = health.report()
    const entry = (key: string): HealthCheckEntry | undefined => checks[key]?.[0]
    expect(entry('GET /properties:p95')).toMatchObject({
      componentType: 'component',
      observedUnit: 'ms',
      status: 'pass',
    })
    expect(entry('GET /properties:p50')?.observedValue).toBeCloseTo(20, 0)
    expect(entry('POST /properties:p95')).toMatchObject({
      observedUnit: 'ms',
      status: 'warn',
      output: expect.stringMatching(
        /^p95 \d+(\.\d+)? ms is over the 500 ms budget of class write; 10 of 90 calls over budget/,
      ),
    })
    expect(entry('POST /properties:p99')?.status).toBe('pass')
    expect(entry('memory:heapUsed')).toMatchObject({ observedValue: 1_000, observedUnit: 'bytes' })
    expect(entry('memory:rss')).toMatchObject({ observedValue: 2_000, componentType: 'system' })
    expect(status).toBe('warn')
    expect(output).toBe('not passing: POST /properties:p95')
  })
})

describe('addSources', () => {
  it('adds sources after creation and removes exactly those', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'geocoder', failureThreshold: 1, clock })
    const cache = createCache({ clock })
    const health = createHealth({ clock })

    const remove = health.addSources({ breakers: breaker, caches: { listings: cache } })
    await failOnce(breaker)
    expect(health.report().status).toBe('warn')
    expect(health.report().checks).toHaveProperty('listings:hitRatio')

    remove()
    expect(health.report().status).toBe('pass')
    expect(Object.keys(health.report().checks)).toEqual(['uptime'])
    cache.close()
  })

  it('reports a source that throws as a warning instead of failing the report', () => {
    const health = createHealth({
      clock: fakeClock(),
      sources: {
        timing: {
          snapshot: () => {
            throw new Error('recorder closed')
          },
        },
      },
    })

    expect(health.report().checks['timing:snapshot']).toEqual([
      {
        componentType: 'component',
        status: 'warn',
        time: TIME,
        output: 'the source threw: recorder closed',
      },
    ])
  })

  it('rejects a source without its method', () => {
    const health = createHealth()

    expect(() => health.addSources({ timing: {} as never })).toThrow(
      'health.addSources: sources.timing must be an object with a snapshot() method, ' +
        'received an object',
    )
  })
})

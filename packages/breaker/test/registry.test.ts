import { createBreakerRegistry, type StateChangeEvent } from '@ballast/breaker'
import { describe, expect, it, vi } from 'vitest'
import { failTimes, fakeClock, succeed } from './support'

describe('createBreakerRegistry', () => {
  it('creates a breaker on first use and returns the same one after', () => {
    const registry = createBreakerRegistry()

    expect(registry.has('pg:get_properties')).toBe(false)
    const breaker = registry.get('pg:get_properties')

    expect(breaker.name).toBe('pg:get_properties')
    expect(registry.get('pg:get_properties')).toBe(breaker)
    expect(registry.has('pg:get_properties')).toBe(true)
  })

  it('applies the defaults, then the override of that operation', async () => {
    const clock = fakeClock()
    const registry = createBreakerRegistry({
      defaults: { failureThreshold: 2, openMs: 5_000, clock },
      overrides: { 'pg:get_properties': { failureThreshold: 1 } },
    })
    const plain = registry.get('pg:list_units')
    const overridden = registry.get('pg:get_properties')

    await failTimes(overridden, 1)
    await failTimes(plain, 1)
    expect(overridden.state).toBe('open')
    expect(plain.state).toBe('closed')
    await failTimes(plain, 1)

    expect(plain.snapshot().nextAttemptAt).toBe(clock.now() + 5_000)
    expect(overridden.snapshot().nextAttemptAt).toBe(clock.now() + 5_000)
  })

  it('lets an override switch the trip rule set by the defaults', async () => {
    const registry = createBreakerRegistry({
      defaults: { failureRateThreshold: 0.5, minimumCalls: 100, clock: fakeClock() },
      overrides: { counted: { failureThreshold: 2 } },
    })

    await failTimes(registry.get('counted'), 2)
    await failTimes(registry.get('rated'), 2)

    expect(registry.get('counted').state).toBe('open')
    expect(registry.get('rated').state).toBe('closed')
  })

  it('lists a snapshot of every breaker in order of creation', async () => {
    const registry = createBreakerRegistry({
      defaults: { failureThreshold: 1, clock: fakeClock() },
    })
    await registry.get('a').execute(succeed)
    await failTimes(registry.get('b'), 1)

    const snapshots = registry.snapshot()

    expect(snapshots.map(({ name, state }) => ({ name, state }))).toEqual([
      { name: 'a', state: 'closed' },
      { name: 'b', state: 'open' },
    ])
    expect(JSON.parse(JSON.stringify(snapshots))).toEqual(snapshots)
  })

  it("hears every breaker's events, including breakers created later", async () => {
    const registry = createBreakerRegistry({
      defaults: { failureThreshold: 1, clock: fakeClock() },
    })
    const early = registry.get('early')
    const changes: StateChangeEvent[] = []
    registry.on('stateChange', (event) => changes.push(event))

    await failTimes(early, 1)
    await failTimes(registry.get('late'), 1)

    expect(changes.map(({ name, to }) => `${name}:${to}`)).toEqual(['early:open', 'late:open'])
  })

  it('stops forwarding once the last registry listener unsubscribes', async () => {
    const registry = createBreakerRegistry({ defaults: { clock: fakeClock() } })
    const breaker = registry.get('op')
    const first = vi.fn()
    const second = vi.fn()
    const unsubscribeFirst = registry.on('success', first)
    const unsubscribeSecond = registry.on('success', second)

    await breaker.execute(succeed)
    unsubscribeFirst()
    await breaker.execute(succeed)
    unsubscribeSecond()
    unsubscribeSecond()
    await registry.get('op').execute(succeed)
    await registry.get('new').execute(succeed)
    const third = vi.fn()
    registry.on('success', third)
    await breaker.execute(succeed)

    expect(first).toHaveBeenCalledOnce()
    expect(second).toHaveBeenCalledTimes(2)
    expect(third).toHaveBeenCalledOnce()
    expect(third).toHaveBeenCalledWith({ name: 'op', durationMs: expect.any(Number) })
  })

  it('validates defaults and every override before any breaker exists', () => {
    expect(() => createBreakerRegistry({ defaults: { openMs: 0 } })).toThrow(
      new RangeError(
        'createBreakerRegistry: options.defaults.openMs ' +
          'must be a positive finite number, received 0',
      ),
    )
    expect(() =>
      createBreakerRegistry({ overrides: { 'pg:get_properties': { failureThreshold: -1 } } }),
    ).toThrow(
      new RangeError(
        'createBreakerRegistry: options.overrides["pg:get_properties"].failureThreshold ' +
          'must be a positive integer, received -1',
      ),
    )
    expect(() => createBreakerRegistry({ overrides: { op: 3 as unknown as object } })).toThrow(
      TypeError,
    )
  })

  it('rejects an empty name', () => {
    expect(() => createBreakerRegistry().get('')).toThrow(
      new TypeError('registry.get: name must be a non-empty string, received ""'),
    )
  })
})

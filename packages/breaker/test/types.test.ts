import {
  type Breaker,
  type BreakerSnapshot,
  type CircuitOpenError,
  createBreaker,
  createBreakerRegistry,
  type FailureEvent,
  isCircuitOpenError,
  type StateChangeEvent,
} from '@ballast/breaker'
import { describe, expectTypeOf, it } from 'vitest'

describe('types', () => {
  const breaker = createBreaker({ name: 'op', clock: { now: () => 0 } })

  it('execute resolves to what fn resolves to', () => {
    expectTypeOf(breaker.execute(async () => 42)).toEqualTypeOf<Promise<number>>()
    expectTypeOf(breaker.execute(() => 'sync')).toEqualTypeOf<Promise<string>>()
    expectTypeOf(breaker.execute(async () => ({ id: 1 }) as const)).toEqualTypeOf<
      Promise<{ readonly id: 1 }>
    >()
    expectTypeOf(breaker.execute(() => Promise.resolve(Promise.resolve([1])))).toEqualTypeOf<
      Promise<number[]>
    >()
  })

  it('execute hands fn an AbortSignal and takes an optional one', () => {
    expectTypeOf(breaker.execute).parameter(0).parameter(0).toEqualTypeOf<AbortSignal>()
    expectTypeOf(breaker.execute).parameter(1).toEqualTypeOf<AbortSignal | undefined>()
  })

  it('types each event by its name', () => {
    breaker.on('stateChange', (event) => expectTypeOf(event).toEqualTypeOf<StateChangeEvent>())
    breaker.on('failure', (event) => expectTypeOf(event).toEqualTypeOf<FailureEvent>())
    // @ts-expect-error: there is no 'open' event
    expectTypeOf(breaker.on).toBeCallableWith('open', () => undefined)
  })

  it('narrows an unknown error with the guard', () => {
    const error: unknown = new Error('x')
    if (isCircuitOpenError(error)) {
      expectTypeOf(error).toEqualTypeOf<CircuitOpenError>()
      expectTypeOf(error.code).toEqualTypeOf<'BALLAST_CIRCUIT_OPEN'>()
      expectTypeOf(error.retryAfterMs).toEqualTypeOf<number | null>()
    }
  })

  it('the registry hands out breakers and snapshots', () => {
    const registry = createBreakerRegistry({ overrides: { op: { failureThreshold: 1 } } })

    expectTypeOf(registry.get('op')).toEqualTypeOf<Breaker>()
    expectTypeOf(registry.snapshot()).toEqualTypeOf<BreakerSnapshot[]>()
    // @ts-expect-error: an override cannot rename its breaker
    createBreakerRegistry({ overrides: { op: { name: 'other' } } })
  })
})

import { type BreakerOptions, createBreaker } from '@ballast/breaker'
import { describe, expect, it } from 'vitest'

function creating(options: Partial<Record<keyof BreakerOptions, unknown>>) {
  return () => createBreaker({ name: 'op', ...options } as BreakerOptions)
}

describe('createBreaker options', () => {
  it.each([
    ['failureThreshold', -1, RangeError, 'must be a positive integer, received -1'],
    ['failureThreshold', 1.5, RangeError, 'must be a positive integer, received 1.5'],
    ['failureThreshold', '5', TypeError, 'must be a positive integer, received "5"'],
    ['minimumCalls', 0, RangeError, 'must be a positive integer, received 0'],
    ['bucketCount', 0, RangeError, 'must be a positive integer, received 0'],
    ['halfOpenProbes', 0, RangeError, 'must be a positive integer, received 0'],
    ['windowMs', Number.POSITIVE_INFINITY, RangeError, 'must be a positive finite number'],
    ['openMs', -5, RangeError, 'must be a positive finite number, received -5'],
    ['failureRateThreshold', 0, RangeError, 'must be a number above 0 and at most 1'],
    ['failureRateThreshold', 1.5, RangeError, 'must be a number above 0 and at most 1'],
    ['openMultiplier', 0.5, RangeError, 'must be a finite number of at least 1, received 0.5'],
    ['isFailure', true, TypeError, 'must be a function, received true'],
    ['clock', {}, TypeError, 'must be an object with a now() method, received an object'],
    ['logger', { info() {} }, TypeError, 'must be an object with a warn() method'],
  ])('checks %s (%s)', (field, value, errorClass, message) => {
    expect(creating({ [field]: value })).toThrow(errorClass)
    expect(creating({ [field]: value })).toThrow(`createBreaker: options.${field} ${message}`)
  })

  it('requires a name', () => {
    expect(() => createBreaker({} as BreakerOptions)).toThrow(
      new TypeError('createBreaker: options.name must be a non-empty string, received undefined'),
    )
  })

  it('refuses both trip rules at once', () => {
    expect(creating({ failureThreshold: 3, failureRateThreshold: 0.5 })).toThrow(
      new TypeError(
        'createBreaker: options.failureThreshold cannot be combined with failureRateThreshold ' +
          '(count mode or rate mode: choose one), received 3 and 0.5',
      ),
    )
  })

  it('requires maxOpenMs to be at least openMs', () => {
    expect(creating({ openMs: 5_000, maxOpenMs: 1_000 })).toThrow(
      new RangeError(
        'createBreaker: options.maxOpenMs must be at least openMs (5000), received 1000',
      ),
    )
  })

  it('accepts every option at once', () => {
    expect(
      creating({
        failureRateThreshold: 0.25,
        minimumCalls: 20,
        windowMs: 10_000,
        bucketCount: 5,
        openMs: 1_000,
        openMultiplier: 2,
        maxOpenMs: 60_000,
        halfOpenProbes: 3,
        isFailure: () => true,
        clock: { now: () => 0 },
        logger: { warn() {} },
      }),
    ).not.toThrow()
  })
})

import { BreakerError, CircuitOpenError, isCircuitOpenError } from '@ballast/breaker'
import { describe, expect, it } from 'vitest'

describe('CircuitOpenError', () => {
  const details = {
    breakerName: 'pg:get_properties',
    state: 'open',
    nextAttemptAt: 1_030_000,
    retryAfterMs: 30_000,
  } as const

  it('carries a name, a stable code, the breaker and when to retry', () => {
    const error = new CircuitOpenError(details)

    expect(error).toBeInstanceOf(BreakerError)
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({
      name: 'CircuitOpenError',
      code: 'BALLAST_CIRCUIT_OPEN',
      ...details,
    })
    expect(error.message).toBe(
      "Circuit 'pg:get_properties' is open; the call was not attempted, retry in 30000 ms",
    )
  })

  it('says so when the retry time is unknown', () => {
    const error = new CircuitOpenError({ ...details, nextAttemptAt: null, retryAfterMs: null })

    expect(error.message).toBe("Circuit 'pg:get_properties' is open; the call was not attempted")
  })

  it('passes a cause through', () => {
    const cause = new Error('root')

    expect(new CircuitOpenError(details, { cause }).cause).toBe(cause)
  })
})

describe('isCircuitOpenError', () => {
  it('recognises the error by its code, also from another copy of the package', () => {
    const fromAnotherCopy = Object.assign(new Error('open'), { code: 'BALLAST_CIRCUIT_OPEN' })

    expect(isCircuitOpenError(new CircuitOpenError(halfOpenDetails()))).toBe(true)
    expect(isCircuitOpenError(fromAnotherCopy)).toBe(true)
  })

  it('rejects anything else', () => {
    expect(isCircuitOpenError(new Error('x'))).toBe(false)
    expect(isCircuitOpenError({ code: 'BALLAST_TIMEOUT' })).toBe(false)
    expect(isCircuitOpenError(null)).toBe(false)
    expect(isCircuitOpenError('BALLAST_CIRCUIT_OPEN')).toBe(false)
  })
})

function halfOpenDetails() {
  return { breakerName: 'x', state: 'half-open', nextAttemptAt: null, retryAfterMs: null } as const
}

import {
  CheckTimeoutError,
  CloserTimeoutError,
  HEALTH_CHECK_TIMEOUT,
  HEALTH_CLOSED,
  HEALTH_CLOSER_TIMEOUT,
  HealthClosedError,
  HealthError,
  isCheckTimeoutError,
  isCloserTimeoutError,
  isHealthClosedError,
  isHealthError,
} from '@ballast/health'
import { describe, expect, it } from 'vitest'

describe('errors', () => {
  it('give each subclass a name, a stable code and its details', () => {
    const timeout = new CheckTimeoutError('postgres', 2_000)
    const closer = new CloserTimeoutError('pool', 5_000)
    const closed = new HealthClosedError('refresh')

    expect(timeout).toBeInstanceOf(HealthError)
    expect(timeout).toMatchObject({
      name: 'CheckTimeoutError',
      code: 'BALLAST_HEALTH_CHECK_TIMEOUT',
      checkName: 'postgres',
      timeoutMs: 2_000,
      message: 'Health check "postgres" took longer than 2000 ms',
    })
    expect(closer).toMatchObject({
      name: 'CloserTimeoutError',
      code: HEALTH_CLOSER_TIMEOUT,
      closerName: 'pool',
      timeoutMs: 5_000,
    })
    expect(closed).toMatchObject({
      name: 'HealthClosedError',
      code: HEALTH_CLOSED,
      message: 'Cannot refresh: the health object is closed',
    })
    expect(HEALTH_CHECK_TIMEOUT).toBe('BALLAST_HEALTH_CHECK_TIMEOUT')
  })

  it('pass cause through the base class', () => {
    const cause = new Error('socket closed')
    expect(new HealthError('BALLAST_HEALTH_X', 'wrapped', { cause }).cause).toBe(cause)
  })

  it('are recognised by code, across copies of the package', () => {
    const copy = Object.assign(new Error('from another copy'), { code: HEALTH_CHECK_TIMEOUT })

    expect(isCheckTimeoutError(copy)).toBe(true)
    expect(isHealthError(copy)).toBe(true)
    expect(isCloserTimeoutError(new CloserTimeoutError('pool', 1))).toBe(true)
    expect(isHealthClosedError(new HealthClosedError('drain'))).toBe(true)
    expect(isCheckTimeoutError(new CloserTimeoutError('pool', 1))).toBe(false)
    expect(isHealthError(new Error('plain'))).toBe(false)
    expect(isHealthError(null)).toBe(false)
  })
})

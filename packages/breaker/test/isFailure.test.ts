import { createBreaker, defaultIsFailure } from '@ballast/breaker'
import { describe, expect, it, vi } from 'vitest'
import { boom, deferred, failTimes, fakeClock, rejectionOf, succeed } from './support'

function withStatus(status: number, key: 'status' | 'statusCode' = 'status'): Error {
  return Object.assign(new Error(`HTTP ${status}`), { [key]: status })
}

function validationError(): Error {
  const error = new Error('name is required')
  error.name = 'ValidationError'
  return error
}

function timeoutError(): Error {
  return Object.assign(new Error('deadline passed'), {
    name: 'TimeoutError',
    code: 'BALLAST_TIMEOUT',
  })
}

describe('defaultIsFailure', () => {
  it.each([400, 401, 403, 404, 409, 422, 499])('does not count status %i', (status) => {
    expect(defaultIsFailure(withStatus(status))).toBe(false)
    expect(defaultIsFailure(withStatus(status, 'statusCode'))).toBe(false)
  })

  it.each([408, 429, 500, 502, 503, 399])('counts status %i', (status) => {
    expect(defaultIsFailure(withStatus(status))).toBe(true)
    expect(defaultIsFailure(withStatus(status, 'statusCode'))).toBe(true)
  })

  it('does not count a ValidationError', () => {
    expect(defaultIsFailure(validationError())).toBe(false)
  })

  it('counts other errors, thrown values that are not objects, and string statuses', () => {
    expect(defaultIsFailure(boom)).toBe(true)
    expect(defaultIsFailure(new TypeError('x'))).toBe(true)
    expect(defaultIsFailure('failed')).toBe(true)
    expect(defaultIsFailure(undefined)).toBe(true)
    expect(defaultIsFailure({ status: '404' })).toBe(true)
  })
})

describe('what a breaker counts', () => {
  function breakerOpeningAtOne(isFailure?: (error: unknown) => boolean) {
    return createBreaker({
      name: 'op',
      failureThreshold: 1,
      openMs: 1_000,
      clock: fakeClock(),
      ...(isFailure === undefined ? {} : { isFailure }),
    })
  }

  it('does not open on 404s or validation errors, and counts them as successes', async () => {
    const breaker = breakerOpeningAtOne()

    await rejectionOf(breaker.execute(() => Promise.reject(withStatus(404))))
    await rejectionOf(breaker.execute(() => Promise.reject(validationError())))

    expect(breaker.snapshot()).toMatchObject({
      state: 'closed',
      calls: 2,
      failures: 0,
      totals: { successes: 2, failures: 0 },
    })
  })

  it('opens on a 503', async () => {
    const breaker = breakerOpeningAtOne()

    await rejectionOf(breaker.execute(() => Promise.reject(withStatus(503))))

    expect(breaker.state).toBe('open')
  })

  it('counts BALLAST_TIMEOUT errors, whatever isFailure says', async () => {
    const breaker = breakerOpeningAtOne(() => false)

    const error = await rejectionOf(breaker.execute(() => Promise.reject(timeoutError())))

    expect(error).toMatchObject({ code: 'BALLAST_TIMEOUT' })
    expect(breaker.state).toBe('open')
  })

  it('counts a BALLAST_TIMEOUT error even after the caller aborted', async () => {
    const breaker = breakerOpeningAtOne()
    const controller = new AbortController()
    const call = deferred<never>()

    const pending = breaker.execute(() => call.promise, controller.signal)
    controller.abort()
    call.reject(timeoutError())
    await rejectionOf(pending)

    expect(breaker.state).toBe('open')
  })

  it("does not count an error after the caller's own signal aborted", async () => {
    const breaker = breakerOpeningAtOne()
    const controller = new AbortController()

    const error = await rejectionOf(
      breaker.execute((signal) => {
        controller.abort()
        throw signal.reason
      }, controller.signal),
    )

    expect(error).toMatchObject({ name: 'AbortError' })
    expect(breaker.snapshot()).toMatchObject({
      state: 'closed',
      calls: 0,
      totals: { successes: 0, failures: 0 },
    })
  })

  it('counts an abort the caller did not cause', async () => {
    const breaker = breakerOpeningAtOne()

    await rejectionOf(breaker.execute(() => Promise.reject(new DOMException('x', 'AbortError'))))

    expect(breaker.state).toBe('open')
  })

  it('lets isFailure decide the rest', async () => {
    const isFailure = vi.fn((error: unknown) => error !== boom)
    const breaker = breakerOpeningAtOne(isFailure)

    await failTimes(breaker, 3)
    expect(breaker.state).toBe('closed')
    await rejectionOf(breaker.execute(() => Promise.reject(withStatus(404))))

    expect(isFailure).toHaveBeenCalledTimes(4)
    expect(breaker.state).toBe('open')
  })

  it('counts the error and still rethrows it when isFailure itself throws', async () => {
    const logger = { warn: vi.fn() }
    const breaker = createBreaker({
      name: 'op',
      failureThreshold: 1,
      clock: fakeClock(),
      logger,
      isFailure: () => {
        throw new Error('bug in isFailure')
      },
    })

    expect(await rejectionOf(breaker.execute(() => Promise.reject(boom)))).toBe(boom)
    expect(breaker.state).toBe('open')
    expect(logger.warn).toHaveBeenCalledOnce()
  })

  it('closes a half-open circuit when the probe gets an error that does not count', async () => {
    const clock = fakeClock()
    const breaker = createBreaker({ name: 'op', failureThreshold: 1, openMs: 1_000, clock })
    await failTimes(breaker, 1)
    clock.advance(1_000)

    await rejectionOf(breaker.execute(() => Promise.reject(withStatus(404))))

    expect(breaker.state).toBe('closed')
    await expect(breaker.execute(succeed)).resolves.toBe('ok')
  })
})

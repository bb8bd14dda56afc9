import { createHealth, createHealthHandlers } from '@ballast/health'
import { describe, expect, it } from 'vitest'

const HEADERS = {
  'content-type': 'application/health+json',
  'cache-control': 'no-store',
}

describe('createHealthHandlers', () => {
  it('answers liveness with 200 and a health+json body that is never cached', () => {
    const handlers = createHealthHandlers(createHealth())

    expect(handlers.liveness()).toEqual({
      status: 200,
      headers: { ...HEADERS, 'content-length': '17' },
      body: '{"status":"pass"}',
    })
  })

  it('answers readiness with 503 until critical checks pass, then 200', async () => {
    const health = createHealth({ checks: [{ name: 'postgres', run: () => undefined }] })
    const handlers = createHealthHandlers(health)

    expect(handlers.readiness().status).toBe(503)
    await health.refresh()
    const ready = handlers.readiness()
    expect(ready.status).toBe(200)
    expect(JSON.parse(ready.body)).toEqual(health.readiness())
    expect(ready.headers['content-length']).toBe(String(Buffer.byteLength(ready.body)))
  })

  it('answers the report with 200 on pass and warn, 503 on fail', async () => {
    let postgres = true
    const health = createHealth({
      checks: [
        { name: 'postgres', run: () => postgres },
        { name: 'redis', critical: false, run: () => false },
      ],
    })
    const handlers = createHealthHandlers(health)
    await health.refresh()

    const warn = handlers.report()
    expect(warn.status).toBe(200)
    expect(JSON.parse(warn.body).status).toBe('warn')
    postgres = false
    await health.refresh()
    expect(handlers.report().status).toBe(503)
  })

  it('serialises liveness and readiness once per change, not once per probe', async () => {
    let healthy = true
    const health = createHealth({ checks: [{ name: 'postgres', run: () => healthy }] })
    const handlers = createHealthHandlers(health)
    await health.refresh()

    const first = handlers.readiness()
    expect(handlers.readiness()).toBe(first)
    expect(handlers.liveness()).toBe(handlers.liveness())
    healthy = false
    await health.refresh()
    const second = handlers.readiness()
    expect(second).not.toBe(first)
    expect(second.status).toBe(503)
    expect(handlers.readiness()).toBe(second)
  })

  it('rejects something that is not a health object', () => {
    expect(() => createHealthHandlers({} as never)).toThrow(
      'createHealthHandlers: health must be a health object, received an object',
    )
  })
})

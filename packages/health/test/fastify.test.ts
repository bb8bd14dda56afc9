import { createHealth, fastifyHealth } from '@ballast/health'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { deferred } from './support'

describe('fastifyHealth', () => {
  it('registers the three endpoints at their default paths', async () => {
    const health = createHealth({ checks: [{ name: 'postgres', run: () => undefined }] })
    const app = Fastify()
    await app.register(fastifyHealth, { health })

    const ping = await app.inject({ method: 'GET', url: '/health/ping' })
    expect(ping.statusCode).toBe(200)
    // Fastify appends the charset of string payloads.
    expect(ping.headers['content-type']).toBe('application/health+json; charset=utf-8')
    expect(ping.headers['cache-control']).toBe('no-store')
    expect(ping.json()).toEqual({ status: 'pass' })

    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503)
    await health.start()
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.body).toBe(JSON.stringify(health.readiness()))
    const report = await app.inject({ method: 'GET', url: '/health' })
    expect(report.json()).toMatchObject({ status: 'pass' })
    expect((await app.inject({ method: 'HEAD', url: '/health/ping' })).statusCode).toBe(200)
    health.close()
    await app.close()
  })

  it('answers the report with 503 when a critical check fails', async () => {
    const health = createHealth({ checks: [{ name: 'postgres', run: () => false }] })
    const app = Fastify()
    await app.register(fastifyHealth, { health })
    await health.refresh()

    const report = await app.inject({ method: 'GET', url: '/health' })
    expect(report.statusCode).toBe(503)
    expect(report.json()).toMatchObject({ status: 'fail' })
    await app.close()
  })

  it('registers configurable paths', async () => {
    const health = createHealth()
    const app = Fastify()
    await app.register(fastifyHealth, {
      health,
      paths: { liveness: '/livez', readiness: '/readyz', report: '/status' },
    })

    expect((await app.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: '/status' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: '/health/ping' })).statusCode).toBe(404)
    await app.close()
  })

  it('tracks every request of the instance, including routes registered elsewhere', async () => {
    const health = createHealth()
    const app = Fastify()
    const gate = deferred()
    const entered = deferred()
    await app.register(fastifyHealth, { health })
    await app.register(async (child) => {
      child.get('/properties', async () => {
        entered.resolve()
        await gate.promise
        return { rows: [] }
      })
    })

    const pending = app.inject({ method: 'GET', url: '/properties' })
    await entered.promise
    expect(health.inFlight).toBe(1)
    gate.resolve()
    expect((await pending).statusCode).toBe(200)
    expect(health.inFlight).toBe(0)
    await app.close()
  })

  it('sends connection: close while draining', async () => {
    const health = createHealth({ readinessDelayMs: 60_000 })
    const app = Fastify()
    await app.register(fastifyHealth, { health })
    app.get('/properties', async () => ({ rows: [] }))

    expect((await app.inject({ method: 'GET', url: '/properties' })).headers.connection).not.toBe(
      'close',
    )
    void health.drain()
    const response = await app.inject({ method: 'GET', url: '/properties' })
    expect(response.statusCode).toBe(200)
    expect(response.headers.connection).toBe('close')
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503)
    health.close()
    await app.close()
  })

  it('closes the instance when drained, running its onClose hooks', async () => {
    const health = createHealth({ readinessDelayMs: 0, graceMs: 1_000 })
    const app = Fastify()
    const closed: string[] = []
    app.addHook('onClose', async () => {
      closed.push('onClose')
    })
    await app.register(fastifyHealth, { health })
    health.addCloser('pool', () => {
      closed.push('pool')
    })
    await app.listen({ port: 0, host: '127.0.0.1' })

    const summary = await health.drain()
    expect(app.server.listening).toBe(false)
    expect(closed).toEqual(['onClose', 'pool'])
    expect(summary.closers.map(({ name, kind, status }) => [name, kind, status])).toEqual([
      ['fastify', 'server', 'closed'],
      ['fastify', 'closer', 'closed'],
      ['pool', 'closer', 'closed'],
    ])
  })

  it('leaves requests untracked and the instance open when told to', async () => {
    const health = createHealth({ readinessDelayMs: 0 })
    const app = Fastify()
    await app.register(fastifyHealth, { health, trackRequests: false, closeOnDrain: false })

    const summary = await health.drain()
    expect(summary.closers).toEqual([])
    expect((await app.inject({ method: 'GET', url: '/health/ping' })).statusCode).toBe(503)
    await app.close()
  })

  it('rejects options without a health object', async () => {
    const app = Fastify()

    await expect(app.register(fastifyHealth, {} as never)).rejects.toThrow(
      'fastifyHealth: options must be an object with a health field, received an object',
    )
  })
})

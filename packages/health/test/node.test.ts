import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHealth, createNodeHandler, type Health, trackNodeRequests } from '@ballast/health'
import { afterEach, describe, expect, it } from 'vitest'
import { deferred } from './support'

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    server.close()
  }
})

/** Starts a server on a free port answering health endpoints, and `app` text elsewhere. */
async function serve(health: Health, handler = createNodeHandler(health)) {
  const server = createServer((request, response) => {
    if (handler(request, response)) return
    response.end('app')
  })
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  return { server, url: (path: string) => `http://127.0.0.1:${port}${path}` }
}

describe('createNodeHandler', () => {
  it('serves liveness, readiness and the report over a real port', async () => {
    const health = createHealth({ checks: [{ name: 'postgres', run: () => undefined }] })
    const { url } = await serve(health)

    const ping = await fetch(url('/health/ping'))
    expect(ping.status).toBe(200)
    expect(ping.headers.get('content-type')).toBe('application/health+json')
    expect(ping.headers.get('cache-control')).toBe('no-store')
    expect(await ping.json()).toEqual({ status: 'pass' })

    expect((await fetch(url('/health/ready'))).status).toBe(503)
    await health.start()
    const ready = await fetch(url('/health/ready?probe=kubelet'))
    expect(ready.status).toBe(200)
    const report = await fetch(url('/health'))
    expect(report.status).toBe(200)
    expect(await report.json()).toMatchObject({ status: 'pass', checks: { uptime: [{}] } })
    health.close()
  })

  it('leaves other paths to the application', async () => {
    const { url } = await serve(createHealth())

    const response = await fetch(url('/properties'))
    expect(await response.text()).toBe('app')
    expect((await fetch(url('/healthz'))).status).toBe(200)
  })

  it('answers HEAD without a body and other methods with 405', async () => {
    const { url } = await serve(createHealth())

    const head = await fetch(url('/health/ping'), { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('17')
    expect(await head.text()).toBe('')
    const post = await fetch(url('/health/ping'), { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('serves configurable paths', async () => {
    const health = createHealth()
    const handler = createNodeHandler(health, {
      paths: { liveness: '/livez', readiness: '/readyz', report: '/status' },
    })
    const { url } = await serve(health, handler)

    expect((await fetch(url('/livez'))).status).toBe(200)
    expect((await fetch(url('/readyz'))).status).toBe(200)
    expect(await (await fetch(url('/status'))).json()).toMatchObject({ status: 'pass' })
    expect(await (await fetch(url('/health/ping'))).text()).toBe('app')
  })

  it('rejects bad paths at construction', () => {
    const health = createHealth()

    expect(() => createNodeHandler(health, { paths: { liveness: 'ping' } })).toThrow(
      'createNodeHandler: options.paths.liveness must be a path starting with "/" and without ' +
        'a query, received "ping"',
    )
    expect(() => createNodeHandler(health, { paths: { readiness: '/health' } })).toThrow(RangeError)
  })
})

describe('trackNodeRequests', () => {
  it('counts each request in flight until its response closes', async () => {
    const health = createHealth()
    const gate = deferred()
    const entered = deferred()
    const server = createServer(async (request, response) => {
      if (request.url === '/slow') {
        entered.resolve()
        await gate.promise
      }
      response.end('done')
    })
    servers.push(server)
    const stop = trackNodeRequests(health, server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo

    const slow = fetch(`http://127.0.0.1:${port}/slow`)
    await entered.promise
    expect(health.inFlight).toBe(1)
    gate.resolve()
    expect(await (await slow).text()).toBe('done')
    await new Promise((resolve) => setImmediate(resolve))
    expect(health.inFlight).toBe(0)

    stop()
    await fetch(`http://127.0.0.1:${port}/fast`)
    expect(server.listenerCount('request')).toBe(1)
  })

  it('rejects something that is not a server', () => {
    expect(() => trackNodeRequests(createHealth(), {} as never)).toThrow(
      'trackNodeRequests: server must be a node:http server, received an object',
    )
  })
})

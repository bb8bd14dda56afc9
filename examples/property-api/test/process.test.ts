import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ChildServer, startChildServer } from './support/child-server'
import { backend, createTestDatabase, type TestDatabaseLocation } from './support/test-database'
import { ALICE } from './support/test-server'

let location: TestDatabaseLocation
let server: ChildServer

beforeAll(async () => {
  location = await createTestDatabase()
  server = await startChildServer({
    ...(location.url === undefined ? {} : { DATABASE_URL: location.url }),
    ...(location.dataDir === undefined ? {} : { DATA_DIR: location.dataDir }),
    DRAIN_DELAY_MS: '400',
    DRAIN_GRACE_MS: '5000',
    REQUEST_TIMEOUT_MS: '1000',
  })
}, 60_000)

afterAll(async () => {
  if (server.process.exitCode === null) server.process.kill('SIGKILL')
  await location.drop()
})

const auth = { authorization: `Bearer ${ALICE}` }

describe(`the server as a process, over a real port (${backend})`, () => {
  it('answers health probes, reads, writes and metrics', async () => {
    const ping = await fetch(`${server.url}/health/ping`)
    expect(ping.status).toBe(200)
    expect(ping.headers.get('content-type')).toMatch(/^application\/health\+json/)
    expect(await ping.json()).toEqual({ status: 'pass' })

    const ready = await fetch(`${server.url}/health/ready`)
    expect(ready.status).toBe(200)

    const list = await fetch(`${server.url}/properties`, { headers: auth })
    expect(list.status).toBe(200)
    expect(list.headers.get('x-cache')).toBe('miss')
    const again = await fetch(`${server.url}/properties`, { headers: auth })
    expect(again.headers.get('x-cache')).toBe('hit')

    const created = await fetch(`${server.url}/properties`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Port House', address: '1 Port Road', city: 'Hull' }),
    })
    expect(created.status).toBe(201)

    const answer = await fetch(`${server.url}/health-enhanced/performance`)
    const figures = (await answer.json()) as { timing: { operations: { operation: string }[] } }
    const routes = figures.timing.operations.map((o) => o.operation)
    expect(routes).toContain('GET /properties')
    expect(routes).toContain('list_properties__v1')
    expect(routes).toContain('GET /health/ping')
    expect(routes).toContain('authenticate')

    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toContain('http_request_duration_seconds_bucket')
    expect(metrics).toContain(
      'ballast_breaker_state{breaker="pg:list_properties",state="closed"} 1',
    )
  })

  it('answers 408 and closes the connection when a request body stalls', async () => {
    const { port } = new URL(server.url)
    const socket = connect(Number(port), '127.0.0.1')
    const answer = new Promise<string>((resolve) => {
      let text = ''
      socket.on('data', (chunk) => {
        text += chunk.toString()
      })
      socket.on('close', () => resolve(text))
    })

    socket.write(
      'POST /properties HTTP/1.1\r\nHost: localhost\r\n' +
        `Authorization: Bearer ${ALICE}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 100\r\n\r\n{"name":',
    )

    expect(await answer).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('drains on SIGTERM: readiness fails first, no accepted request fails, it exits', async () => {
    let stop = false
    let readinessFailedAt: number | undefined
    let refusedAt: number | undefined
    const failures: string[] = []
    let answered = 0

    const worker = async (index: number) => {
      while (!stop) {
        const write = index % 2 === 1
        try {
          const response = await fetch(`${server.url}/properties`, {
            method: write ? 'POST' : 'GET',
            headers: write ? { ...auth, 'content-type': 'application/json' } : auth,
            ...(write
              ? { body: JSON.stringify({ name: `Loop ${index}`, address: 'Loop 1', city: 'Ely' }) }
              : {}),
          })
          await response.arrayBuffer()
          if (response.status >= 300) failures.push(`${response.status}`)
          else answered++
        } catch (error) {
          failures.push(String(error))
        }
      }
    }

    // What a load balancer does: poll readiness and stop sending once it fails.
    const balancer = async () => {
      while (refusedAt === undefined) {
        try {
          const response = await fetch(`${server.url}/health/ready`)
          await response.arrayBuffer()
          if (response.status === 503 && readinessFailedAt === undefined) {
            readinessFailedAt = Date.now()
            stop = true
          }
        } catch {
          refusedAt = Date.now()
        }
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }

    const workers = [0, 1, 2, 3].map(worker)
    const polling = balancer()
    while (answered < 40) await new Promise((resolve) => setTimeout(resolve, 10))

    server.process.kill('SIGTERM')
    const exit = await server.exited
    await Promise.all(workers)
    await polling

    expect(failures).toEqual([])
    expect(readinessFailedAt).toBeDefined()
    expect(refusedAt).toBeDefined()
    expect(readinessFailedAt as number).toBeLessThan(refusedAt as number)
    expect(exit.signal ?? exit.code).toBe(exit.signal === null ? 0 : 'SIGTERM')
    expect(server.logs.some((line) => line.msg === 'draining')).toBe(true)
  })
})

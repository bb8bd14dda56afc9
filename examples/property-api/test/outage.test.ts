import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend } from './support/test-database'
import { ALICE, BOB, startTestServer, type TestServer } from './support/test-server'

/** The cache and the breakers read this clock, so the test moves time instead of waiting. */
let now = Date.now()
const clock = { now: () => now }

let api: TestServer

beforeAll(async () => {
  api = await startTestServer({ clock })
})

afterAll(async () => {
  await api.close()
})

const TTL_MS = 300_000
const OPEN_MS = 30_000

interface Check {
  observedValue: unknown
  status: string
}

async function circuit(name: string): Promise<Check | undefined> {
  const report = (await api.request('GET', '/health-enhanced/system')).json()
  return report.checks[`pg:${name}:circuit`]?.[0]
}

describe(`a database outage under the running server (${backend})`, () => {
  const acknowledged: string[] = []

  it('before: reads are cached and writes succeed', async () => {
    for (const url of ['/properties', '/dashboard']) {
      expect((await api.request('GET', url, { token: ALICE })).headers['x-cache']).toBe('miss')
      expect((await api.request('GET', url, { token: ALICE })).headers['x-cache']).toBe('hit')
    }

    const created = await api.request('POST', '/properties', {
      token: ALICE,
      body: { name: 'Before', address: 'Old Road 1', city: 'Bath' },
    })
    expect(created.statusCode).toBe(201)
    acknowledged.push('Before')
  })

  it('during: expired reads are stale, writes fail fast with 503, circuits open', async () => {
    // The write invalidated Alice's lists and dashboard: read them again so the cache holds
    // entries that can stand in once they expire.
    await api.request('GET', '/properties', { token: ALICE })
    await api.request('GET', '/dashboard', { token: ALICE })
    now += TTL_MS + 1_000
    await api.server.database.stop()

    for (let attempt = 0; attempt < 8; attempt++) {
      const read = await api.request('GET', '/properties', { token: ALICE })
      expect(read.statusCode).toBe(200)
      expect(read.headers['x-cache']).toBe('stale')
      expect(read.json().items.map((p: { name: string }) => p.name)).toContain('Before')
    }

    const dashboard = await api.request('GET', '/dashboard', { token: ALICE })
    expect(dashboard.headers['x-cache']).toBe('stale')

    const statuses: number[] = []
    for (let attempt = 0; attempt < 7; attempt++) {
      const write = await api.request('POST', '/properties', {
        token: ALICE,
        body: { name: `During ${attempt}`, address: 'Dark Lane', city: 'Bath' },
      })
      statuses.push(write.statusCode)
      expect(write.json().error).toMatch(/^(unavailable|timeout)$/)
      if (write.statusCode < 300) acknowledged.push(`During ${attempt}`)
    }
    expect(statuses.every((status) => status === 503)).toBe(true)

    const rejected = await api.request('POST', '/properties', {
      token: ALICE,
      body: { name: 'Rejected', address: 'Dark Lane', city: 'Bath' },
    })
    expect(rejected.statusCode).toBe(503)
    expect(rejected.headers['retry-after']).toMatch(/^\d+$/)

    expect(await circuit('create_property')).toMatchObject({
      observedValue: 'open',
      status: 'warn',
    })
    expect(await circuit('list_properties')).toMatchObject({
      observedValue: 'open',
      status: 'warn',
    })

    await api.server.health.refresh('postgres')
    const report = (await api.request('GET', '/health-enhanced/system')).json()
    expect(report.status).toBe('warn')
    expect(report.checks['postgres:responseTime'][0].status).toBe('fail')

    // Reads the cache never held have nothing to fall back on.
    const uncached = await api.request('GET', '/dashboard', { token: BOB })
    expect(uncached.statusCode).toBe(503)

    // Readiness does not depend on the shared database: this instance still serves reads.
    expect((await api.request('GET', '/health/ready')).statusCode).toBe(200)
  })

  it('after: once the database is back and the open period passed, all is normal', async () => {
    await api.server.database.start()
    now += OPEN_MS + 1_000

    const read = await api.request('GET', '/properties', { token: ALICE })
    expect(read.statusCode).toBe(200)
    expect(read.headers['x-cache']).toBe('miss')

    const write = await api.request('POST', '/properties', {
      token: ALICE,
      body: { name: 'After', address: 'New Road 2', city: 'Bath' },
    })
    expect(write.statusCode).toBe(201)
    acknowledged.push('After')

    expect(await circuit('list_properties')).toMatchObject({ observedValue: 'closed' })
    expect(await circuit('create_property')).toMatchObject({ observedValue: 'closed' })
    await api.server.health.refresh('postgres')
    expect((await api.request('GET', '/health-enhanced/system')).json().status).toBe('pass')
  })

  it('every write acknowledged with 2xx is in the database, and no other', async () => {
    const page = await api.request('GET', '/properties?limit=100', { token: ALICE })
    const names = page.json().items.map((p: { name: string }) => p.name)

    for (const name of acknowledged) expect(names).toContain(name)
    expect(names.filter((name: string) => name.startsWith('During'))).toEqual([])
  })
})

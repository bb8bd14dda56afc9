import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend } from './support/test-database'
import { ALICE, BOB, startTestServer, type TestServer } from './support/test-server'

let api: TestServer

beforeAll(async () => {
  api = await startTestServer()
})

afterAll(async () => {
  await api.close()
})

async function cacheOf(token: string, url: string): Promise<string | undefined> {
  const response = await api.request('GET', url, { token })
  expect(response.statusCode).toBe(200)
  return response.headers['x-cache'] as string | undefined
}

/** Reads every cached view of both landlords once, so each is a hit next time. */
async function warm(urls: Record<string, string[]>) {
  for (const [token, list] of Object.entries(urls)) {
    for (const url of list) await cacheOf(token, url)
  }
}

async function firstPropertyId(token: string): Promise<number> {
  const response = await api.request('GET', '/properties', { token })
  return response.json().items[0].id
}

describe(`caching of reads, seen through X-Cache (${backend})`, () => {
  it('misses once, then hits, for each landlord separately', async () => {
    expect(await cacheOf(ALICE, '/dashboard')).toBe('miss')
    expect(await cacheOf(ALICE, '/dashboard')).toBe('hit')
    expect(await cacheOf(BOB, '/dashboard')).toBe('miss')
    expect(await cacheOf(BOB, '/dashboard')).toBe('hit')
  })

  it('a write reaches the landlord’s lists and dashboard, nothing of the other', async () => {
    const aliceProperty = await firstPropertyId(ALICE)
    const bobProperty = await firstPropertyId(BOB)
    const views = {
      [ALICE]: ['/properties', '/dashboard', `/properties/${aliceProperty}`],
      [BOB]: ['/properties', '/dashboard', `/properties/${bobProperty}`],
    }
    await warm(views)

    const created = await api.request('POST', '/properties', {
      token: ALICE,
      body: { name: 'New', address: 'Somewhere 1', city: 'Porto' },
    })
    expect(created.statusCode).toBe(201)

    expect(await cacheOf(ALICE, '/properties')).toBe('miss')
    expect(await cacheOf(ALICE, '/dashboard')).toBe('miss')
    // Creating a property changes no existing property's detail.
    expect(await cacheOf(ALICE, `/properties/${aliceProperty}`)).toBe('hit')
    for (const url of views[BOB] as string[]) expect(await cacheOf(BOB, url)).toBe('hit')

    const list = await api.request('GET', '/properties', { token: ALICE })
    expect(list.json().items[0].name).toBe('New')
  })

  it('updating a property invalidates its detail and the lists, and only those', async () => {
    const id = await firstPropertyId(ALICE)
    const other = (await api.request('GET', '/properties', { token: ALICE })).json().items[1].id
    await warm({ [ALICE]: [`/properties/${id}`, `/properties/${other}`, '/properties'] })

    await api.request('PATCH', `/properties/${id}`, { token: ALICE, body: { name: 'Renamed' } })

    expect(await cacheOf(ALICE, `/properties/${id}`)).toBe('miss')
    expect(await cacheOf(ALICE, '/properties')).toBe('miss')
    expect(await cacheOf(ALICE, `/properties/${other}`)).toBe('hit')

    const detail = await api.request('GET', `/properties/${id}`, { token: ALICE })
    expect(detail.json().name).toBe('Renamed')
    expect(detail.headers['x-cache']).toBe('hit')
  })

  it('a unit write reaches its property, its unit list, the lists and the dashboard', async () => {
    const id = await firstPropertyId(BOB)
    const views = [`/properties/${id}`, `/properties/${id}/units`, '/properties', '/dashboard']
    await warm({ [BOB]: views, [ALICE]: ['/dashboard'] })

    const added = await api.request('POST', `/properties/${id}/units`, {
      token: BOB,
      body: { label: 'Garage', rentCents: 9_000, status: 'occupied' },
    })
    expect(added.statusCode).toBe(201)

    for (const url of views) expect(await cacheOf(BOB, url)).toBe('miss')
    expect(await cacheOf(ALICE, '/dashboard')).toBe('hit')

    const units = await api.request('GET', `/properties/${id}/units`, { token: BOB })
    expect(units.json().map((unit: { label: string }) => unit.label)).toContain('Garage')
  })

  it('never keeps a 404, so a property created under a once-missing id is found', async () => {
    const missing = await api.request('GET', '/properties/999999', { token: ALICE })
    expect(missing.statusCode).toBe(404)

    const again = await api.request('GET', '/properties/999999', { token: ALICE })
    expect(again.headers['x-cache']).toBe('miss')
  })

  it('activating another function version drops what the old version computed', async () => {
    const { functions, cache } = api.server.services
    await warm({ [ALICE]: ['/dashboard'] })
    expect(await cacheOf(ALICE, '/dashboard')).toBe('hit')

    const { activate, rollback } = await import('@ballast/pg')
    await activate(api.server.database.db, 'portfolio_dashboard', 1)
    await functions.refresh()

    const v1 = await api.request('GET', '/dashboard', { token: ALICE })
    expect(v1.headers['x-cache']).toBe('miss')
    expect(v1.json()).not.toHaveProperty('vacancyLossCents')
    expect(cache.stats().invalidations).toBeGreaterThan(0)

    await rollback(api.server.database.db, 'portfolio_dashboard')
    await functions.refresh()

    const v2 = await api.request('GET', '/dashboard', { token: ALICE })
    expect(v2.headers['x-cache']).toBe('miss')
    expect(v2.json()).toHaveProperty('vacancyLossCents')
  })
})

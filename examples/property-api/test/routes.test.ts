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

interface Property {
  id: number
  name: string
  city: string
  postalCode: string | null
  units: number
  occupiedUnits: number
  monthlyRentCents: number
}

interface Unit {
  id: number
  propertyId: number
  label: string
  rentCents: number
  status: string
  tenantName: string | null
}

async function createProperty(token: string, fields: object = {}): Promise<Property> {
  const body = { name: 'Mill House', address: '1 Mill Lane', city: 'Leeds', ...fields }
  const response = await api.request('POST', '/properties', { token, body })
  expect(response.statusCode).toBe(201)
  return response.json()
}

describe(`property API routes (${backend})`, () => {
  describe('authentication', () => {
    it('answers 401 without a token, with a malformed one and with an unknown one', async () => {
      const missing = await api.request('GET', '/properties')
      const malformed = await api.request('GET', '/properties', {
        headers: { authorization: 'Bearer x' },
      })
      const unknown = await api.request('GET', '/properties', { token: 'not-a-real-token' })
      const wrongScheme = await api.request('GET', '/properties', {
        headers: { authorization: `Basic ${ALICE}` },
      })

      for (const response of [missing, malformed, unknown, wrongScheme]) {
        expect(response.statusCode).toBe(401)
        expect(response.json().error).toBe('unauthorized')
      }
    })

    it('does not cache an unknown token, so every attempt asks the database again', async () => {
      await api.request('GET', '/dashboard', { token: 'made-up-token-1' })
      const before = api.server.services.cache.stats().entries
      await api.request('GET', '/dashboard', { token: 'made-up-token-2' })

      expect(api.server.services.cache.stats().entries).toBe(before)
    })
  })

  describe('properties', () => {
    it('lists the landlord’s own properties, newest first, with paging', async () => {
      const response = await api.request('GET', '/properties?limit=1&offset=0', { token: ALICE })
      const page = response.json()

      expect(response.statusCode).toBe(200)
      expect(page).toMatchObject({ limit: 1, offset: 0, total: 2 })
      expect(page.items).toHaveLength(1)
      expect(page.items[0].name).toBe('Canal Works')
    })

    it('creates, reads, updates and deletes a property', async () => {
      const created = await createProperty(ALICE, { postalCode: 'LS1 1AA', kind: 'commercial' })
      expect(created).toMatchObject({ name: 'Mill House', units: 0, postalCode: 'LS1 1AA' })

      const read = await api.request('GET', `/properties/${created.id}`, { token: ALICE })
      expect(read.json()).toMatchObject({ id: created.id, city: 'Leeds' })

      const patched = await api.request('PATCH', `/properties/${created.id}`, {
        token: ALICE,
        body: { city: 'York', postalCode: null },
      })
      expect(patched.statusCode).toBe(200)
      expect(patched.json()).toMatchObject({ city: 'York', postalCode: null, name: 'Mill House' })

      const deleted = await api.request('DELETE', `/properties/${created.id}`, { token: ALICE })
      expect(deleted.json()).toEqual({ id: created.id, unitIds: [] })

      const gone = await api.request('GET', `/properties/${created.id}`, { token: ALICE })
      expect(gone.statusCode).toBe(404)
    })

    it('answers 404 for another landlord’s property, exactly as for a missing one', async () => {
      const bobs = await createProperty(BOB)

      const asAlice = await api.request('GET', `/properties/${bobs.id}`, { token: ALICE })
      const missing = await api.request('GET', '/properties/2147483647', { token: ALICE })
      const patch = await api.request('PATCH', `/properties/${bobs.id}`, {
        token: ALICE,
        body: { name: 'Mine now' },
      })
      const remove = await api.request('DELETE', `/properties/${bobs.id}`, { token: ALICE })
      const units = await api.request('GET', `/properties/${bobs.id}/units`, { token: ALICE })

      for (const response of [asAlice, missing, patch, remove, units]) {
        expect(response.statusCode).toBe(404)
        expect(response.json()).toEqual({ error: 'not_found', message: expect.any(String) })
      }
      expect(asAlice.json()).toEqual(missing.json())

      const stillBobs = await api.request('GET', `/properties/${bobs.id}`, { token: BOB })
      expect(stillBobs.json().name).toBe('Mill House')
    })

    it('rejects bad bodies with 400 naming the field', async () => {
      const cases: Array<[unknown, string]> = [
        [{ address: 'a', city: 'b' }, 'body.name'],
        [{ name: 5, address: 'a', city: 'b' }, 'body.name'],
        [{ name: 'a', address: 'b', city: 'c', owner: 3 }, 'body.owner'],
        [{ name: '', address: 'b', city: 'c' }, 'body.name'],
        [{ name: 'a', address: 'b', city: 'c', kind: 'castle' }, 'body.kind'],
        [[], 'body'],
      ]

      for (const [body, field] of cases) {
        const response = await api.request('POST', '/properties', { token: ALICE, body })
        expect(response.statusCode, JSON.stringify(body)).toBe(400)
        expect(response.json()).toMatchObject({ error: 'bad_request', field })
      }
    })

    it('rejects an empty patch, bad ids and bad paging with 400', async () => {
      const empty = await api.request('PATCH', '/properties/1', { token: ALICE, body: {} })
      const word = await api.request('GET', '/properties/abc', { token: ALICE })
      const zero = await api.request('GET', '/properties/0', { token: ALICE })
      const huge = await api.request('GET', '/properties/99999999999', { token: ALICE })
      const limit = await api.request('GET', '/properties?limit=1000', { token: ALICE })
      const extra = await api.request('GET', '/properties?owner=2', { token: ALICE })

      expect(empty.json()).toMatchObject({ error: 'bad_request', field: 'body' })
      expect(word.json()).toMatchObject({ error: 'bad_request', field: 'params.id' })
      expect(zero.json()).toMatchObject({ field: 'params.id' })
      expect(huge.json()).toMatchObject({ field: 'params.id' })
      expect(limit.json()).toMatchObject({ field: 'querystring.limit' })
      expect(extra.json()).toMatchObject({ field: 'querystring.owner' })
    })

    it('answers 415 for a body that is not JSON and 413 for one that is too large', async () => {
      const text = await api.request('POST', '/properties', {
        token: ALICE,
        body: 'name=x',
        headers: { 'content-type': 'text/plain' },
      })
      const large = await api.request('POST', '/properties', {
        token: ALICE,
        body: { name: 'x'.repeat(20_000), address: 'a', city: 'b' },
      })
      const broken = await api.request('POST', '/properties', {
        token: ALICE,
        body: '{"name":',
        headers: { 'content-type': 'application/json' },
      })

      expect(text.statusCode).toBe(415)
      expect(large.statusCode).toBe(413)
      expect(broken.statusCode).toBe(400)
      for (const response of [text, large, broken])
        expect(response.json().error).toBeTypeOf('string')
    })
  })

  describe('units', () => {
    it('adds, lists, updates and deletes units, and the property’s figures follow', async () => {
      const property = await createProperty(ALICE)
      const added = await api.request('POST', `/properties/${property.id}/units`, {
        token: ALICE,
        body: { label: 'A', rentCents: 100_000, status: 'occupied', tenantName: 'K. Lee' },
      })
      const unit: Unit = added.json()
      expect(added.statusCode).toBe(201)
      expect(unit).toMatchObject({ propertyId: property.id, label: 'A', status: 'occupied' })

      const listed = await api.request('GET', `/properties/${property.id}/units`, { token: ALICE })
      expect(listed.json()).toEqual([expect.objectContaining({ id: unit.id })])

      const withUnit = await api.request('GET', `/properties/${property.id}`, { token: ALICE })
      expect(withUnit.json()).toMatchObject({
        units: 1,
        occupiedUnits: 1,
        monthlyRentCents: 100_000,
      })

      const vacated = await api.request('PATCH', `/units/${unit.id}`, {
        token: ALICE,
        body: { status: 'vacant', tenantName: null },
      })
      expect(vacated.json()).toMatchObject({
        status: 'vacant',
        tenantName: null,
        rentCents: 100_000,
      })

      const after = await api.request('GET', `/properties/${property.id}`, { token: ALICE })
      expect(after.json()).toMatchObject({ units: 1, occupiedUnits: 0, monthlyRentCents: 0 })

      const removed = await api.request('DELETE', `/units/${unit.id}`, { token: ALICE })
      expect(removed.json()).toEqual({ id: unit.id, propertyId: property.id })

      const empty = await api.request('GET', `/properties/${property.id}/units`, { token: ALICE })
      expect(empty.json()).toEqual([])
    })

    it('refuses a duplicate label with 409 and bad unit fields with 400', async () => {
      const property = await createProperty(ALICE)
      const url = `/properties/${property.id}/units`
      await api.request('POST', url, { token: ALICE, body: { label: 'A', rentCents: 1 } })

      const duplicate = await api.request('POST', url, {
        token: ALICE,
        body: { label: 'A', rentCents: 1 },
      })
      const negative = await api.request('POST', url, {
        token: ALICE,
        body: { label: 'B', rentCents: -5 },
      })
      const stringly = await api.request('POST', url, {
        token: ALICE,
        body: { label: 'B', rentCents: '500' },
      })
      const badDate = await api.request('POST', url, {
        token: ALICE,
        body: { label: 'C', rentCents: 5, leaseEnd: '2026-02-31' },
      })

      expect(duplicate.statusCode).toBe(409)
      expect(negative.json()).toMatchObject({ error: 'bad_request', field: 'body.rentCents' })
      expect(stringly.json()).toMatchObject({ error: 'bad_request', field: 'body.rentCents' })
      expect(badDate.statusCode).toBe(400)
    })

    it('answers 404 for units of other landlords', async () => {
      const bobs = await createProperty(BOB)
      const unit: Unit = (
        await api.request('POST', `/properties/${bobs.id}/units`, {
          token: BOB,
          body: { label: 'B1', rentCents: 10 },
        })
      ).json()

      const add = await api.request('POST', `/properties/${bobs.id}/units`, {
        token: ALICE,
        body: { label: 'X', rentCents: 1 },
      })
      const patch = await api.request('PATCH', `/units/${unit.id}`, {
        token: ALICE,
        body: { rentCents: 1 },
      })
      const remove = await api.request('DELETE', `/units/${unit.id}`, { token: ALICE })

      for (const response of [add, patch, remove]) expect(response.statusCode).toBe(404)

      const listed = await api.request('GET', `/properties/${bobs.id}/units`, { token: BOB })
      expect(listed.json()).toEqual([expect.objectContaining({ rentCents: 10 })])
    })
  })

  describe('dashboard', () => {
    it('summarises the landlord’s portfolio, computed by the active function version', async () => {
      const response = await api.request('GET', '/dashboard', { token: BOB })
      const dashboard = response.json()

      expect(response.statusCode).toBe(200)
      expect(dashboard).toMatchObject({
        occupancyRate: expect.any(Number),
        rentRollCents: expect.any(Number),
        vacancyLossCents: expect.any(Number),
        byCity: expect.arrayContaining([expect.objectContaining({ city: 'Bristol' })]),
      })
      expect(dashboard.potentialRentCents - dashboard.rentRollCents).toBe(
        dashboard.vacancyLossCents,
      )
    })
  })

  describe('response headers', () => {
    it('sends X-Response-Time and Server-Timing always, X-Cache on cached reads', async () => {
      const read = await api.request('GET', '/dashboard', { token: ALICE })
      const write = await createPropertyResponse()
      const error = await api.request('GET', '/properties/abc', { token: ALICE })

      expect(read.headers['x-cache']).toMatch(/^(hit|miss)$/)
      expect(write.headers['x-cache']).toBeUndefined()
      for (const response of [read, write, error]) {
        expect(response.headers['x-response-time']).toMatch(/^\d+\.\d{2}ms$/)
        expect(response.headers['server-timing']).toMatch(/total;dur=\d/)
      }
      expect(read.headers['server-timing']).toMatch(/auth;dur=.*cache;dur=/)
    })

    it('answers unknown routes with a JSON 404', async () => {
      const response = await api.request('GET', '/nowhere', { token: ALICE })

      expect(response.statusCode).toBe(404)
      expect(response.json().error).toBe('not_found')
    })
  })
})

function createPropertyResponse() {
  return api.request('POST', '/properties', {
    token: ALICE,
    body: { name: 'Header House', address: '2 Lane', city: 'Hull' },
  })
}

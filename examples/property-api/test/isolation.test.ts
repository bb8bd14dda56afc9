import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend } from './support/test-database'
import { ALICE, BOB, startTestServer, type TestServer } from './support/test-server'

/**
 * Random sequences of requests from three landlords, checked against a model of who owns
 * what. Every answer goes through the cache, so a missed invalidation or a key shared
 * between landlords shows up as a list, a count or a detail that disagrees with the model.
 */

const CAROL = 'demo-carol-token-for-tests'
const TOKENS = [ALICE, BOB, CAROL] as const

let api: TestServer

beforeAll(async () => {
  api = await startTestServer()
  await api.server.database.db.query(
    `with carol as (
       insert into landlords (email, name) values ('carol@example.com', 'Carol') returning id
     )
     insert into api_tokens (token_hash, landlord_id)
     select sha256(convert_to($1, 'UTF8')), id from carol`,
    [CAROL],
  )
})

afterAll(async () => {
  await api.close()
})

type Action =
  | { kind: 'create'; who: number; name: string }
  | { kind: 'rename'; who: number; pick: number; name: string }
  | { kind: 'delete'; who: number; pick: number }
  | { kind: 'addUnit'; who: number; pick: number; rentCents: number; occupied: boolean }
  | { kind: 'list'; who: number }
  | { kind: 'detail'; who: number; pick: number }
  | { kind: 'units'; who: number; pick: number }
  | { kind: 'dashboard'; who: number }

const who = fc.integer({ min: 0, max: 2 })
const pick = fc.nat({ max: 1_000 })
const name = fc.string({ minLength: 1, maxLength: 20 }).filter((text) => !text.includes('\u0000'))

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), who, name }),
  fc.record({ kind: fc.constant('rename' as const), who, pick, name }),
  fc.record({ kind: fc.constant('delete' as const), who, pick }),
  fc.record({
    kind: fc.constant('addUnit' as const),
    who,
    pick,
    rentCents: fc.integer({ min: 0, max: 500_000 }),
    occupied: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('list' as const), who }),
  fc.record({ kind: fc.constant('detail' as const), who, pick }),
  fc.record({ kind: fc.constant('units' as const), who, pick }),
  fc.record({ kind: fc.constant('dashboard' as const), who }),
)

interface ModelProperty {
  owner: number
  name: string
  units: number
  occupied: number
  rent: number
}

describe(`landlord isolation under random request sequences (${backend})`, () => {
  it('never shows one landlord another’s data, and every view agrees with the model', async () => {
    const model = new Map<number, ModelProperty>()
    let unitCounter = 0
    const owned = (owner: number) => [...model].filter(([, p]) => p.owner === owner)

    // Start from what the seed created, as the server reports it.
    for (const [index, token] of TOKENS.entries()) {
      const items = (await api.request('GET', '/properties?limit=100', { token })).json().items
      for (const item of items) {
        model.set(item.id, {
          owner: index,
          name: item.name,
          units: item.units,
          occupied: item.occupiedUnits,
          rent: item.monthlyRentCents,
        })
      }
    }

    const anyId = (choice: number): number => {
      const ids = [...model.keys()]
      // Now and then an id nobody has, or one that was deleted.
      if (ids.length === 0 || choice % 7 === 0) return 1_000_000 + choice
      return ids[choice % ids.length] as number
    }

    const run = async (step: Action) => {
      const token = TOKENS[step.who] as string

      if (step.kind === 'create') {
        const response = await api.request('POST', '/properties', {
          token,
          body: { name: step.name, address: 'Model Street 1', city: 'Model' },
        })
        expect(response.statusCode).toBe(201)
        const id = response.json().id
        model.set(id, { owner: step.who, name: step.name, units: 0, occupied: 0, rent: 0 })
        return
      }

      if (step.kind === 'list' || step.kind === 'dashboard') {
        const mine = owned(step.who)
        if (step.kind === 'list') {
          const page = (await api.request('GET', '/properties?limit=100', { token })).json()
          expect(page.total).toBe(mine.length)
          expect(page.items.map((p: { id: number }) => p.id).sort()).toEqual(
            mine.map(([id]) => id).sort(),
          )
          for (const item of page.items) {
            expect(item.name).toBe(model.get(item.id)?.name)
          }
        } else {
          const dashboard = (await api.request('GET', '/dashboard', { token })).json()
          expect(dashboard.properties).toBe(mine.length)
          expect(dashboard.units).toBe(mine.reduce((sum, [, p]) => sum + p.units, 0))
          expect(dashboard.rentRollCents).toBe(mine.reduce((sum, [, p]) => sum + p.rent, 0))
        }
        return
      }

      const id = anyId(step.pick)
      const property = model.get(id)
      const theirs = property !== undefined && property.owner === step.who

      if (step.kind === 'detail' || step.kind === 'units') {
        const url = step.kind === 'detail' ? `/properties/${id}` : `/properties/${id}/units`
        const response = await api.request('GET', url, { token })
        expect(response.statusCode).toBe(theirs ? 200 : 404)
        if (theirs && step.kind === 'detail') {
          expect(response.json()).toMatchObject({
            id,
            name: property.name,
            units: property.units,
            monthlyRentCents: property.rent,
          })
        }
        if (theirs && step.kind === 'units') expect(response.json()).toHaveLength(property.units)
        return
      }

      if (step.kind === 'rename') {
        const response = await api.request('PATCH', `/properties/${id}`, {
          token,
          body: { name: step.name },
        })
        expect(response.statusCode).toBe(theirs ? 200 : 404)
        if (theirs) property.name = step.name
        return
      }

      if (step.kind === 'delete') {
        const response = await api.request('DELETE', `/properties/${id}`, { token })
        expect(response.statusCode).toBe(theirs ? 200 : 404)
        if (theirs) model.delete(id)
        return
      }

      const response = await api.request('POST', `/properties/${id}/units`, {
        token,
        body: {
          label: `U${++unitCounter}`,
          rentCents: step.rentCents,
          status: step.occupied ? 'occupied' : 'vacant',
        },
      })
      expect(response.statusCode).toBe(theirs ? 201 : 404)
      if (theirs) {
        property.units += 1
        property.occupied += step.occupied ? 1 : 0
        property.rent += step.occupied ? step.rentCents : 0
      }
    }

    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25 }), async (steps) => {
        for (const step of steps) await run(step)
      }),
      { numRuns: 100 },
    )
  })
})

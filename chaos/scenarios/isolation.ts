import fc from 'fast-check'
import type { Landlord } from '../support/database'
import { type Answer, type Call, type Client, jsonOf } from '../support/http'
import { check, type Scenario } from '../support/scenario'
import { setUpStage } from '../support/stage'

const LANDLORDS = 4

type Action =
  | { kind: 'create'; name: string }
  | { kind: 'rename'; pick: number; name: string }
  | { kind: 'delete'; pick: number }
  | { kind: 'addUnit'; pick: number; rentCents: number; occupied: boolean }
  | { kind: 'list' }
  | { kind: 'detail'; pick: number }
  | { kind: 'units'; pick: number }
  | { kind: 'dashboard' }
  | { kind: 'peek'; pick: number; units: boolean }
  | { kind: 'poke'; pick: number; how: 'rename' | 'delete' | 'addUnit' | 'unit' }

/** Lower-case text, so a generated name can never look like another landlord's marker. */
const text = fc.stringMatching(/^[a-z0-9 ]{1,16}$/)
const pick = fc.nat({ max: 10_000 })

/** Reads outweigh writes, so many answers come from the cache between two writes. */
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create' as const), name: text }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename' as const), pick, name: text }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('addUnit' as const),
      pick,
      rentCents: fc.integer({ min: 0, max: 500_000 }),
      occupied: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('list' as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('detail' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('units' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('dashboard' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('peek' as const), pick, units: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('poke' as const),
      pick,
      how: fc.constantFrom(
        'rename' as const,
        'delete' as const,
        'addUnit' as const,
        'unit' as const,
      ),
    }),
  },
)

interface ModelProperty {
  name: string
  units: number
  rent: number
}

/** What every landlord owns, as the model says; ids of units per owner for cross access. */
interface World {
  readonly owned: Array<Map<number, ModelProperty>>
  readonly units: Array<number[]>
  /** Ids that existed once and were deleted; nobody may see them again. */
  readonly deleted: Set<number>
}

interface Tally {
  requests: number
  leaks: string[]
  crossAccess: number
  crossNot404: string[]
  mismatches: string[]
  cache: Record<string, number>
}

/** `L<n> ` in a name, an address or a city: whose data an answer holds. */
const MARKER = /\bL(\d+) (?:seeded|Street|made|renamed)\b/g

/**
 * Scenario 7. Four landlords each run a random sequence of requests at the same time, over a
 * real port and through the cache: creating, renaming, deleting, adding units, listing,
 * reading details and dashboards, and reaching for the other landlords' ids. Every name
 * carries its owner's marker. Judged: no answer to one landlord holds another's marker,
 * every request for another landlord's id answers 404, and every view agrees with a model
 * of who owns what.
 */
export const isolationScenario: Scenario = {
  name: 'isolation',
  title: 'Landlord isolation under random sequences',
  timeLimitSeconds: () => 120,
  async run(context) {
    const runs = context.settings.quick ? 20 : 300
    const seed = Date.now() % 2 ** 31
    const stage = await setUpStage(context, {
      landlords: LANDLORDS,
      propertiesEach: 2,
      unitsPerProperty: 1,
    })
    const world = await worldOf(stage.landlords, stage.client)
    const tally: Tally = {
      requests: 0,
      leaks: [],
      crossAccess: 0,
      crossNot404: [],
      mismatches: [],
      cache: {},
    }
    let unitCounter = 0

    const runAction = async (who: number, step: Action) => {
      const landlord = stage.landlords[who] as Landlord
      const mine = world.owned[who] as Map<number, ModelProperty>
      const send = async (call: Omit<Call, 'token'>) => {
        const answer = await stage.client.send({ ...call, token: landlord.token })
        note(tally, who, call, answer)
        return answer
      }
      const ownId = (choice: number) => {
        const ids = [...mine.keys()]
        if (ids.length === 0 || choice % 9 === 0) return 2_000_000 + choice
        return ids[choice % ids.length] as number
      }
      const othersId = (choice: number) => {
        const others = world.owned.flatMap((map, index) => (index === who ? [] : [...map.keys()]))
        const gone = [...world.deleted]
        const pool = choice % 5 === 0 && gone.length > 0 ? gone : others
        return pool[choice % pool.length] ?? 1
      }
      const expect = (condition: boolean, what: string) => {
        if (!condition) tally.mismatches.push(`L${who} ${what}`)
      }

      switch (step.kind) {
        case 'create': {
          const name = `L${who} made ${step.name}`
          const answer = await send({
            method: 'POST',
            path: '/properties',
            body: { name, address: `L${who} Street 1`, city: `City ${who}` },
          })
          expect(answer.status === 201, `create -> ${answer.status}`)
          const created = jsonOf(answer) as { id?: number } | undefined
          if (answer.status === 201 && typeof created?.id === 'number') {
            mine.set(created.id, { name, units: 0, rent: 0 })
          }
          return
        }
        case 'list': {
          const page = jsonOf(await send({ method: 'GET', path: '/properties?limit=100' })) as
            | { total: number; items: Array<{ id: number; name: string }> }
            | undefined
          const ids = (page?.items ?? []).map((p) => p.id).sort((a, b) => a - b)
          // A page holds the 100 newest: ids are given in order, so the highest 100.
          const model = [...mine.keys()].sort((a, b) => a - b).slice(-100)
          expect(page?.total === mine.size, `list total ${page?.total} != ${mine.size}`)
          expect(JSON.stringify(ids) === JSON.stringify(model), `list ids ${ids} != ${model}`)
          for (const item of page?.items ?? []) {
            expect(mine.get(item.id)?.name === item.name, `list name of ${item.id}`)
          }
          return
        }
        case 'dashboard': {
          const dashboard = jsonOf(await send({ method: 'GET', path: '/dashboard' })) as
            | { properties: number; units: number; rentRollCents: number }
            | undefined
          const all = [...mine.values()]
          expect(dashboard?.properties === mine.size, 'dashboard properties')
          expect(dashboard?.units === all.reduce((sum, p) => sum + p.units, 0), 'dashboard units')
          expect(
            dashboard?.rentRollCents === all.reduce((sum, p) => sum + p.rent, 0),
            'dashboard rent roll',
          )
          return
        }
        case 'peek': {
          const id = othersId(step.pick)
          const path = step.units ? `/properties/${id}/units` : `/properties/${id}`
          cross(tally, who, path, await send({ method: 'GET', path }))
          return
        }
        case 'poke': {
          const id = othersId(step.pick)
          const others = world.units.flatMap((list, index) => (index === who ? [] : list))
          const unit = others[step.pick % Math.max(1, others.length)] ?? 1
          const call: Omit<Call, 'token'> =
            step.how === 'rename'
              ? { method: 'PATCH', path: `/properties/${id}`, body: { name: 'L9 renamed stolen' } }
              : step.how === 'delete'
                ? { method: 'DELETE', path: `/properties/${id}` }
                : step.how === 'addUnit'
                  ? {
                      method: 'POST',
                      path: `/properties/${id}/units`,
                      body: { label: 'stolen', rentCents: 1 },
                    }
                  : { method: 'PATCH', path: `/units/${unit}`, body: { rentCents: 1 } }
          cross(tally, who, `${call.method} ${call.path}`, await send(call))
          return
        }
        default:
          break
      }

      const id = ownId(step.pick)
      const property = mine.get(id)
      const status = property === undefined ? 404 : 200
      if (step.kind === 'detail' || step.kind === 'units') {
        const path = step.kind === 'detail' ? `/properties/${id}` : `/properties/${id}/units`
        const answer = await send({ method: 'GET', path })
        expect(answer.status === status, `${path} -> ${answer.status}, model ${status}`)
        const body = jsonOf(answer)
        if (property !== undefined && step.kind === 'detail') {
          const detail = body as { name?: string; units?: number; monthlyRentCents?: number }
          expect(detail.name === property.name, `detail name of ${id}`)
          expect(detail.units === property.units, `detail units of ${id}`)
          expect(detail.monthlyRentCents === property.rent, `detail rent of ${id}`)
        }
        if (property !== undefined && step.kind === 'units') {
          expect(Array.isArray(body) && body.length === property.units, `unit count of ${id}`)
        }
        return
      }
      if (step.kind === 'rename') {
        const name = `L${who} renamed ${step.name}`
        const answer = await send({ method: 'PATCH', path: `/properties/${id}`, body: { name } })
        expect(answer.status === status, `rename ${id} -> ${answer.status}, model ${status}`)
        if (property !== undefined && answer.status === 200) property.name = name
        return
      }
      if (step.kind === 'delete') {
        const answer = await send({ method: 'DELETE', path: `/properties/${id}` })
        expect(answer.status === status, `delete ${id} -> ${answer.status}, model ${status}`)
        if (property !== undefined && answer.status === 200) {
          mine.delete(id)
          world.deleted.add(id)
        }
        return
      }
      const answer = await send({
        method: 'POST',
        path: `/properties/${id}/units`,
        body: {
          label: `unit ${++unitCounter}`,
          rentCents: step.rentCents,
          status: step.occupied ? 'occupied' : 'vacant',
        },
      })
      const created = property === undefined ? 404 : 201
      expect(answer.status === created, `add unit to ${id} -> ${answer.status}, model ${created}`)
      const unit = jsonOf(answer) as { id?: number } | undefined
      if (property !== undefined && answer.status === 201) {
        property.units += 1
        property.rent += step.occupied ? step.rentCents : 0
        if (typeof unit?.id === 'number') (world.units[who] as number[]).push(unit.id)
      }
    }

    const sequences = fc.tuple(
      ...Array.from({ length: LANDLORDS }, () => fc.array(action, { minLength: 5, maxLength: 30 })),
    )
    const details = await fc.check(
      fc.asyncProperty(sequences, async (perLandlord) => {
        const before = tally.leaks.length + tally.crossNot404.length + tally.mismatches.length
        await Promise.all(
          perLandlord.map(async (steps, who) => {
            for (const step of steps) {
              if (context.signal.aborted) return
              await runAction(who, step)
            }
          }),
        )
        return tally.leaks.length + tally.crossNot404.length + tally.mismatches.length === before
      }),
      { numRuns: runs, seed, endOnFailure: true },
    )
    context.log(`${details.numRuns} runs, ${tally.requests} requests (seed ${seed})`)

    return {
      checks: [
        check(
          "answers holding another landlord's data",
          '0',
          `${tally.leaks.length} of ${tally.requests}`,
          tally.leaks.length === 0,
        ),
        check(
          "another landlord's ids answer 404",
          'all',
          `${tally.crossAccess - tally.crossNot404.length} of ${tally.crossAccess}`,
          tally.crossNot404.length === 0 && tally.crossAccess > 0,
        ),
        check(
          'views that disagree with the model',
          '0',
          `${tally.mismatches.length}`,
          tally.mismatches.length === 0,
        ),
      ],
      figures: {
        seed,
        runs: details.numRuns,
        failed: details.failed,
        counterexample:
          details.counterexample === null
            ? null
            : JSON.stringify(details.counterexample).slice(0, 2_000),
        requests: tally.requests,
        crossAccess: tally.crossAccess,
        cache: tally.cache,
        leaks: tally.leaks.slice(0, 5),
        crossNot404: tally.crossNot404.slice(0, 5),
        mismatches: tally.mismatches.slice(0, 10),
      },
      notes: [...tally.leaks, ...tally.crossNot404, ...tally.mismatches].slice(0, 3),
    }
  },
}

/** Counts the request and looks for other landlords' markers in the answer. */
function note(tally: Tally, who: number, call: Omit<Call, 'token'>, answer: Answer): void {
  tally.requests++
  const cache = answer.headers['x-cache']
  if (typeof cache === 'string') tally.cache[cache] = (tally.cache[cache] ?? 0) + 1
  for (const match of answer.text.matchAll(MARKER)) {
    if (Number(match[1]) !== who) {
      tally.leaks.push(`L${who} ${call.method} ${call.path} showed ${match[0]}`)
      return
    }
  }
}

function cross(tally: Tally, who: number, what: string, answer: Answer): void {
  tally.crossAccess++
  if (answer.status !== 404) tally.crossNot404.push(`L${who} ${what} -> ${answer.status}`)
}

/** The model's starting point: what each landlord lists now, and the seeded unit ids. */
async function worldOf(landlords: readonly Landlord[], client: Client): Promise<World> {
  const owned: Array<Map<number, ModelProperty>> = []
  for (const landlord of landlords) {
    const answer = await client.send({
      method: 'GET',
      path: '/properties?limit=100',
      token: landlord.token,
    })
    const page = jsonOf(answer) as {
      items: Array<{ id: number; name: string; units: number; monthlyRentCents: number }>
    }
    owned.push(
      new Map(
        page.items.map((p) => [p.id, { name: p.name, units: p.units, rent: p.monthlyRentCents }]),
      ),
    )
  }

  return { owned, units: landlords.map((l) => [...l.unitIds]), deleted: new Set() }
}

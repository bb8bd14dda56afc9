import type autocannon from 'autocannon'
import { BUDGETS } from '../../examples/property-api/src/create-services'
import { startCannon } from '../support/cannon'
import type { Landlord, ThrowawayDatabase } from '../support/database'
import { latencyOf, percent } from '../support/figures'
import { type Check, check, type Scenario } from '../support/scenario'
import { setUpStage } from '../support/stage'

/** What one autocannon instance measured for its class of requests. */
interface ClassFigures {
  readonly requests: number
  readonly failed: number
  readonly errorRatePercent: number
  readonly rps: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
  readonly statuses: Record<string, number>
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T

/**
 * Scenario 1. Autocannon sends reads, writes and deletes from several landlords at once for
 * 30 s (8 s with `--quick`), one instance per class so each class gets its own latencies, at
 * fixed rates a shared two-core machine sustains. Judged: the error rate under 0.1% and each
 * class's p95 within its budget (read 200 ms, write 500 ms, delete 300 ms), and the seed's
 * headline p95 under 200 ms over every request.
 */
export const loadScenario: Scenario = {
  name: 'load',
  title: 'Load: mixed reads and writes',
  timeLimitSeconds: () => 120,
  async run(context) {
    const seconds = context.settings.quick ? 8 : 30
    const rates = { read: 300, write: 60, delete: 20 }
    const stage = await setUpStage(context, {
      landlords: 8,
      propertiesEach: 5,
      unitsPerProperty: 3,
    })
    const spares = await spareUnits(stage.database, stage.landlords, rates.delete * seconds * 1.5)

    context.log(
      `autocannon for ${seconds} s: ${rates.read} reads/s, ${rates.write} writes/s, ` +
        `${rates.delete} deletes/s`,
    )
    const [read, write, remove] = await Promise.all([
      cannon(
        stage.instance.url,
        seconds,
        rates.read,
        10,
        readRequest(stage.landlords),
        context.signal,
      ),
      cannon(
        stage.instance.url,
        seconds,
        rates.write,
        4,
        writeRequest(stage.landlords),
        context.signal,
      ),
      cannon(stage.instance.url, seconds, rates.delete, 2, deleteRequest(spares), context.signal),
    ])
    const all = [...read.durations, ...write.durations, ...remove.durations]
    const overall = latencyOf(all)
    const failed = read.figures.failed + write.figures.failed + remove.figures.failed
    const requests = all.length
    const errorRate = percent(failed, requests)

    const checks: Check[] = [
      check('error rate', '< 0.1%', `${errorRate}% (${failed} of ${requests})`, errorRate < 0.1),
      check('p95, every request', '< 200 ms', `${overall.p95} ms`, overall.p95 < 200),
    ]
    for (const [kind, result] of [
      ['read', read],
      ['write', write],
      ['delete', remove],
    ] as const) {
      const budget = BUDGETS[kind]
      const { p50, p95, p99 } = result.figures
      checks.push(
        check(
          `${kind} p95 (p50 / p99)`,
          `< ${budget} ms`,
          `${p95} ms (${p50} / ${p99})`,
          p95 < budget,
        ),
      )
    }

    return {
      checks,
      figures: {
        seconds,
        targetRates: rates,
        overall: { ...overall, requests, failed, errorRatePercent: errorRate },
        read: read.figures,
        write: write.figures,
        delete: remove.figures,
      },
    }
  },
}

/** Runs one autocannon instance and collects every response time itself (for p95). */
async function cannon(
  url: string,
  seconds: number,
  rate: number,
  connections: number,
  request: autocannon.Request,
  signal: AbortSignal,
): Promise<{ figures: ClassFigures; durations: number[] }> {
  const durations: number[] = []
  const statuses: Record<string, number> = {}
  const { instance, result: done } = startCannon(
    { url, connections, duration: seconds, overallRate: rate, timeout: 10, requests: [request] },
    signal,
  )
  instance.on('response', (_client, status, _bytes, ms) => {
    durations.push(ms)
    statuses[status] = (statuses[status] ?? 0) + 1
  })

  const result = await done
  const failed = result.non2xx + result.errors + result.timeouts
  const requests = durations.length + result.errors + result.timeouts
  const latency = latencyOf(durations)

  return {
    durations,
    figures: {
      requests,
      failed,
      errorRatePercent: percent(failed, requests),
      rps: Math.round(requests / seconds),
      p50: latency.p50,
      p95: latency.p95,
      p99: latency.p99,
      max: latency.max,
      statuses: { ...statuses, errors: result.errors, timeouts: result.timeouts },
    },
  }
}

function bearer(landlord: Landlord, json = false): Record<string, string> {
  const headers: Record<string, string> = { authorization: `Bearer ${landlord.token}` }
  if (json) headers['content-type'] = 'application/json'
  return headers
}

/** The landlords' list pages, details, unit lists and dashboards, mostly cache hits. */
function readRequest(landlords: readonly Landlord[]): autocannon.Request {
  return {
    method: 'GET',
    setupRequest(request) {
      const landlord = pick(landlords)
      const property = pick(landlord.propertyIds)
      const path = pick([
        '/properties',
        `/properties?limit=2&offset=${Math.floor(Math.random() * 3)}`,
        `/properties/${property}`,
        `/properties/${property}/units`,
        '/dashboard',
      ])
      return { ...request, path, headers: bearer(landlord) }
    },
  }
}

let sequence = 0

/** New properties, renamed properties and new units: each invalidates what it changed. */
function writeRequest(landlords: readonly Landlord[]): autocannon.Request {
  return {
    setupRequest(request) {
      const landlord = pick(landlords)
      const property = pick(landlord.propertyIds)
      const n = ++sequence
      const choice = n % 3
      const headers = bearer(landlord, true)
      if (choice === 0) {
        const body = { name: `L${landlord.index} load ${n}`, address: `${n} Load St`, city: 'Load' }
        return {
          ...request,
          method: 'POST',
          path: '/properties',
          headers,
          body: JSON.stringify(body),
        }
      }
      if (choice === 1) {
        const body = JSON.stringify({ name: `L${landlord.index} renamed ${n}` })
        return { ...request, method: 'PATCH', path: `/properties/${property}`, headers, body }
      }
      const body = JSON.stringify({ label: `load-${n}`, rentCents: 90_000, status: 'occupied' })
      return { ...request, method: 'POST', path: `/properties/${property}/units`, headers, body }
    },
  }
}

/** Deletes units made for it, each once. */
function deleteRequest(
  units: ReadonlyArray<{ unit: number; landlord: Landlord }>,
): autocannon.Request {
  let next = 0
  return {
    method: 'DELETE',
    setupRequest(request) {
      const spare = units[next++ % units.length] as { unit: number; landlord: Landlord }
      return { ...request, path: `/units/${spare.unit}`, headers: bearer(spare.landlord) }
    },
  }
}

/** Units to delete, in a property of their own per landlord, interleaved across landlords. */
async function spareUnits(
  database: ThrowawayDatabase,
  landlords: readonly Landlord[],
  count: number,
): Promise<Array<{ unit: number; landlord: Landlord }>> {
  const each = Math.ceil(count / landlords.length)
  const lists: number[][] = []
  for (const landlord of landlords) {
    const rows = await database.query<{ id: number }>(
      `with spare as (
         insert into properties (landlord_id, name, address, city)
         values ($1, 'L' || $2 || ' spare', 'Spare St', 'Spare') returning id
       )
       insert into units (property_id, label, rent_cents)
       select spare.id, 'spare-' || n, 1000 from spare, generate_series(1, $3) n
       returning id`,
      [landlord.id, landlord.index, each],
    )
    lists.push(rows.map((row) => row.id))
  }

  const units: Array<{ unit: number; landlord: Landlord }> = []
  for (let i = 0; i < each; i++) {
    for (const [index, landlord] of landlords.entries()) {
      const unit = lists[index]?.[i]
      if (unit !== undefined) units.push({ unit, landlord })
    }
  }

  return units
}

import { allClosed, watchCircuits } from '../support/circuits'
import type { Landlord } from '../support/database'
import { countBy, latencyOf, round } from '../support/figures'
import { sleep } from '../support/http'
import { type Operation, type Sample, startLoad, succeeded } from '../support/load'
import { check, type Scenario, type ScenarioSettings } from '../support/scenario'
import { setUpStage } from '../support/stage'

/** After the database's return, how long to watch for everything to be normal again. */
const WATCH_MAX_SECONDS = 45

/** The write budget: "fast" for a write refused during the outage. */
const FAST_MS = 500

/**
 * How long a cached read stays fresh in this scenario (`CACHE_TTL_MS`; the default is 5
 * minutes). A few seconds, so read entries expire during the outage and are served from
 * their grace period, flagged `X-Cache: stale`, not only as plain hits.
 */
const READ_TTL_MS = 3_000

/**
 * How long the load runs before the outage. In a full run the outage is placed so that it
 * covers the moment the bearer tokens' 60 s cache freshness runs out (54 to 60 s after they
 * were first checked, with the cache's 10% jitter): known tokens must then keep working from
 * their stale entries.
 */
function warmSeconds(settings: ScenarioSettings): number {
  if (settings.quick) return 4
  return Math.max(10, Math.min(54, 61 - settings.outageSeconds))
}

interface Model {
  /** Paths read with a 2xx since the landlord's last acknowledged write. */
  readonly cached: Set<string>
  readonly paths: readonly string[]
  turn: number
}

interface Written {
  readonly landlord: number
  readonly kind: 'property' | 'unit'
  readonly name: string
}

/**
 * Scenario 2. One worker per landlord sends reads and, for half of the landlords, writes.
 * Mid-load the fault proxy resets every connection to PostgreSQL and refuses new ones for
 * 20 s (`--outage-seconds`), then lets them through again. Read entries stay fresh for 3 s
 * only, so most reads during the outage are answered stale. Judged: reads the cache held keep
 * answering, during the outage and after the return, for landlords who wrote too; writes
 * fail fast with 503; circuits open within 5 failures; everything is normal again within
 * 30 s of the return; and every write answered 2xx is in the database.
 */
export const outageScenario: Scenario = {
  name: 'outage',
  title: 'Database outage under load',
  timeLimitSeconds: (settings) =>
    warmSeconds(settings) + settings.outageSeconds + WATCH_MAX_SECONDS + 25,
  async run(context) {
    const { settings } = context
    const stage = await setUpStage(context, {
      landlords: 8,
      propertiesEach: 3,
      unitsPerProperty: 2,
      env: { CACHE_TTL_MS: String(READ_TTL_MS) },
    })
    const writers = new Set(stage.landlords.filter((l) => l.index >= 4).map((l) => l.index))
    const models = stage.landlords.map((landlord) => modelOf(landlord))
    const written: Written[] = []
    const acknowledged: Written[] = []
    let counter = 0

    const next = (worker: number): Operation => {
      const landlord = stage.landlords[worker] as Landlord
      const model = models[worker] as Model
      const turn = model.turn++
      if (writers.has(worker) && turn % 3 === 2) {
        const n = ++counter
        const [property] = landlord.propertyIds
        const item: Written =
          n % 2 === 0
            ? { landlord: landlord.id, kind: 'property', name: `L${worker} acked ${n}` }
            : { landlord: landlord.id, kind: 'unit', name: `acked-${n}` }
        written.push(item)
        return item.kind === 'property'
          ? {
              kind: 'write',
              tag: String(written.length - 1),
              method: 'POST',
              path: '/properties',
              token: landlord.token,
              body: { name: item.name, address: `${n} Outage Rd`, city: 'Outage' },
            }
          : {
              kind: 'write',
              tag: String(written.length - 1),
              method: 'POST',
              path: `/properties/${property}/units`,
              token: landlord.token,
              body: { label: item.name, rentCents: 70_000 },
            }
      }
      const path = model.paths[turn % model.paths.length] as string
      const role = writers.has(worker) ? 'writer' : 'reader'
      const cached = model.cached.has(path) ? 'cached' : 'uncached'
      return { kind: 'read', tag: `${role}:${cached}`, method: 'GET', path, token: landlord.token }
    }

    const load = startLoad({
      client: stage.client,
      workers: stage.landlords.length,
      pauseMs: 20,
      signal: context.signal,
      next,
      onAnswer(operation, answer, worker) {
        const model = models[worker] as Model
        const ok = answer.status >= 200 && answer.status < 300
        if (operation.kind === 'read' && ok) model.cached.add(operation.path)
        if (operation.kind === 'write' && ok) {
          model.cached.clear()
          acknowledged.push(written[Number(operation.tag)] as Written)
        }
      },
    })
    const circuits = watchCircuits(stage.instance)

    const warm = warmSeconds(settings)
    context.log(`load for ${warm} s, then PostgreSQL away for ${settings.outageSeconds} s`)
    await sleep(warm * 1_000, context.signal)

    const outageAt = performance.now()
    stage.pgProxy.refuse('reset')
    const cut = stage.pgProxy.cut()
    context.log(`outage: ${cut} connections cut, new ones refused`)
    await sleep(settings.outageSeconds * 1_000, context.signal)

    const returnAt = performance.now()
    stage.pgProxy.refuse('off')
    context.log('PostgreSQL is back; watching for recovery')

    const abnormal = (s: Sample) => !succeeded(s) || s.cache === 'stale' || s.auth === 'stale'
    const lastAbnormalEnd = () => {
      let last = returnAt
      for (const s of load.samples)
        if (s.startedAt >= returnAt && abnormal(s)) last = Math.max(last, s.endedAt)
      return last
    }
    let circuitsClosedAt: number | undefined
    while (performance.now() - returnAt < WATCH_MAX_SECONDS * 1_000 && !context.signal.aborted) {
      await sleep(250, context.signal)
      const now = performance.now()
      if (circuitsClosedAt === undefined && circuits.polledAt > returnAt && allClosed(circuits)) {
        circuitsClosedAt = circuits.polledAt
      }
      if (circuitsClosedAt !== undefined && now - lastAbnormalEnd() > 5_000) break
    }
    await load.stop()
    await circuits.stop()
    const report = await stage.instance.report()
    const cacheResets = report.checks['reads:resets']?.[0]?.observedValue ?? null
    const watchedMs = performance.now() - returnAt
    const recoveredMs = lastAbnormalEnd() - returnAt
    const recovered = circuitsClosedAt !== undefined && watchedMs - recoveredMs > 5_000

    // Straight to the database, not through the proxy: which writes are there.
    const stored = await stage.database.query<{ name: string }>(
      `select name from properties where name like 'L_ acked %'
       union all select label from units where label like 'acked-%'`,
    )
    const names = new Set(stored.map((row) => row.name))
    const lost = acknowledged.filter((w) => !names.has(w.name))
    const ackedNames = new Set(acknowledged.map((w) => w.name))
    const refusedButStored = written.filter((w) => !ackedNames.has(w.name) && names.has(w.name))

    const samples = load.samples
    const during = samples.filter((s) => s.startedAt >= outageAt && s.startedAt < returnAt)
    const inFlightAtCut = samples.filter((s) => s.startedAt < outageAt && s.endedAt > outageAt)
    const reads = (role: string) => during.filter((s) => s.tag === `${role}:cached`)
    const readerReads = reads('reader')
    // Reads of paths the landlord had read since its last acknowledged write must keep
    // answering after the return just as during the outage, while circuits are still open.
    const cachedReadsAfter = samples.filter(
      (s) => s.startedAt >= returnAt && s.tag?.endsWith(':cached') === true,
    )
    const writerReads = reads('writer')
    const writes = during.filter((s) => s.kind === 'write')
    const writeLatency = latencyOf(writes.map((s) => s.durationMs))
    const writes503 = writes.filter((s) => s.status === 503).length
    const opened = circuits.events.filter((e) => e.state === 'open' && e.at >= outageAt)
    const firstOpenings = [...new Map(opened.map((e) => [e.breaker, e])).values()]
    const failuresAtOpen = firstOpenings.map((e) => e.failures ?? 0)
    const maxFailures = Math.max(0, ...failuresAtOpen)
    const staleAuth = during.filter((s) => s.auth === 'stale').length

    const describeReads = (list: Sample[]) => {
      const ok = list.filter(succeeded)
      const by = countBy(ok, (s) => s.cache ?? 'none')
      return `${ok.length} of ${list.length} (hit ${by.hit ?? 0}, stale ${by.stale ?? 0})`
    }
    const seconds = (ms: number) => round(ms / 1_000, 1)

    const allCachedReads = [...readerReads, ...writerReads]
    const staleReads = allCachedReads.filter((s) => s.cache === 'stale' && succeeded(s)).length
    const failedCached = [...allCachedReads, ...cachedReadsAfter].filter((s) => !succeeded(s))
    const notes: string[] = []
    if (failedCached.length > 0) {
      const by = countBy(failedCached, (s) => `${s.tag} ${s.status} ${s.code ?? s.error ?? ''}`)
      notes.push(
        `${failedCached.length} reads of cached data failed: ` +
          Object.entries(by)
            .map(([key, count]) => `${key.trim()} (${count}x)`)
            .join(', '),
      )
    }
    if (!settings.quick && staleAuth === 0) {
      notes.push('No token was served stale during the outage: the tokens did not expire in it.')
    }

    return {
      checks: [
        check(
          'cached reads answer, landlords not writing',
          'all 2xx',
          describeReads(readerReads),
          readerReads.length > 0 && readerReads.every(succeeded),
        ),
        check(
          'cached reads answer after the return, while circuits close',
          'all 2xx',
          describeReads(cachedReadsAfter),
          cachedReadsAfter.every(succeeded),
        ),
        check(
          'cached reads answer, landlords whose writes failed',
          'all 2xx',
          describeReads(writerReads),
          writerReads.length > 0 && writerReads.every(succeeded),
        ),
        check(
          `read entries past their ${READ_TTL_MS / 1_000} s freshness answer stale`,
          'stale > 0',
          `${staleReads} of ${allCachedReads.length} cached reads stale, ${staleAuth} tokens`,
          staleReads > 0,
        ),
        check(
          'writes fail fast with 503',
          `all 503, p99 < ${FAST_MS} ms`,
          `${writes503} of ${writes.length}, p99 ${writeLatency.p99} ms`,
          writes.length > 0 && writes503 === writes.length && writeLatency.p99 < FAST_MS,
        ),
        check(
          'circuits open within 5 failures',
          '<= 5',
          `at most ${maxFailures} (${firstOpenings.length} circuits opened)`,
          firstOpenings.length > 0 && maxFailures <= 5,
        ),
        check(
          'normal again after the return',
          '<= 30 s',
          recovered
            ? `${seconds(recoveredMs)} s (circuits closed at ` +
                `${seconds((circuitsClosedAt as number) - returnAt)} s)`
            : `not within ${WATCH_MAX_SECONDS} s`,
          recovered && recoveredMs <= 30_000,
        ),
        check(
          'acknowledged writes lost',
          '0',
          `${lost.length} of ${acknowledged.length}`,
          lost.length === 0 && acknowledged.length > 0,
        ),
      ],
      figures: {
        warmSeconds: warm,
        outageSeconds: settings.outageSeconds,
        readTtlMs: READ_TTL_MS,
        connectionsCut: cut,
        cacheResets,
        requests: samples.length,
        inFlightAtCut: countBy(inFlightAtCut, (s) => `${s.kind} ${s.status}`),
        during: {
          requests: during.length,
          statuses: countBy(during, (s) => String(s.status)),
          readerCachedReads: countBy(readerReads, (s) => `${s.status} ${s.cache ?? ''}`.trim()),
          writerCachedReads: countBy(writerReads, (s) => `${s.status} ${s.cache ?? ''}`.trim()),
          writes: { count: writes.length, answered503: writes503, latencyMs: writeLatency },
          staleAuth,
        },
        circuits: circuits.events.map((e) => ({
          breaker: e.breaker,
          state: e.state,
          secondsAfterOutage: seconds(e.at - outageAt),
          failuresInWindow: e.failures,
        })),
        recovery: {
          lastAbnormalSecondsAfterReturn: seconds(recoveredMs),
          circuitsClosedSecondsAfterReturn:
            circuitsClosedAt === undefined ? null : seconds(circuitsClosedAt - returnAt),
          watchedSeconds: seconds(watchedMs),
          cachedReads: countBy(cachedReadsAfter, (s) => `${s.status} ${s.code ?? s.cache ?? ''}`),
          after: countBy(
            samples.filter((s) => s.startedAt >= returnAt && abnormal(s)),
            (s) =>
              `${s.kind} ${s.status} ${s.code ?? s.cache ?? ''}` +
              (s.auth === 'stale' ? ' auth-stale' : ''),
          ),
        },
        writes: {
          sent: written.length,
          acknowledged: acknowledged.length,
          lost: lost.map((w) => w.name),
          refusedButStored: refusedButStored.length,
        },
      },
      notes,
    }
  },
}

function modelOf(landlord: Landlord): Model {
  const [first, second] = landlord.propertyIds
  return {
    cached: new Set(),
    turn: 0,
    paths: [
      '/properties',
      `/properties/${first}`,
      `/properties/${first}/units`,
      '/dashboard',
      `/properties/${second}`,
    ],
  }
}

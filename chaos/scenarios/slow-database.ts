import type { Landlord } from '../support/database'
import { countBy, latencyOf, mib, round } from '../support/figures'
import { sleep } from '../support/http'
import type { ProcessSample } from '../support/instance'
import { type Operation, startLoad, startSampling, succeeded } from '../support/load'
import { check, type Scenario } from '../support/scenario'
import { setUpStage } from '../support/stage'

/** The request hard limit of the server, and the slack allowed for the answer to travel. */
const HARD_LIMIT_MS = 5_000
const SLACK_MS = 250

/** How much the heap may grow while the database is slow, beyond what it was before. */
const HEAP_GROWTH_LIMIT_BYTES = 32 * 1024 * 1024

/**
 * The server's pool holds 10 connections; the function client's LISTEN and the cache's
 * NOTIFY bus hold one more each.
 */
const PG_CONNECTIONS_LIMIT = 12

interface Sampled {
  readonly server: ProcessSample
  readonly proxyOpen: number
  readonly delayedChunks: number
}

/**
 * Scenario 3. Under a load of cached reads, uncached reads and writes, the fault proxy holds
 * every answer of PostgreSQL for 6 s. The per-call deadline (3 s) and the request hard limit
 * (5 s) must answer every request in time, with a 503 when the data is not cached, and the
 * server's heap, its open sockets and its connections to PostgreSQL must stay bounded.
 */
export const slowDatabaseScenario: Scenario = {
  name: 'slow-database',
  title: 'Slow database (+6 s)',
  timeLimitSeconds: () => 120,
  async run(context) {
    const { quick } = context.settings
    const warmMs = (quick ? 3 : 8) * 1_000
    const slowMs = (quick ? 12 : 40) * 1_000
    const stage = await setUpStage(context, {
      landlords: 6,
      propertiesEach: 3,
      clientTimeoutMs: 15_000,
    })
    let unique = 0
    // Per landlord, the paths read with a 2xx since its last acknowledged write: only those
    // are in the cache, since an acknowledged write drops what it changed.
    const cached = stage.landlords.map(() => new Set<string>())
    const read = (worker: number, path: string, token: string): Operation => {
      const kind = cached[worker]?.has(path) === true ? 'cached read' : 'uncached read'
      return { kind, method: 'GET', path, token }
    }

    const next = (worker: number): Operation => {
      const landlord = stage.landlords[worker] as Landlord
      const turn = ++unique
      const [property] = landlord.propertyIds
      const token = landlord.token
      switch (turn % 4) {
        case 0:
          return read(worker, '/dashboard', token)
        case 1:
          return read(worker, `/properties/${property}`, token)
        case 2: {
          const path = `/properties?limit=1&offset=${1_000 + turn}`
          return { kind: 'uncached read', method: 'GET', path, token }
        }
        default:
          return {
            kind: 'write',
            method: 'POST',
            path: '/properties',
            token,
            body: { name: `L${worker} slow ${turn}`, address: 'Slow Lane', city: 'Slow' },
          }
      }
    }

    const load = startLoad({
      client: stage.client,
      workers: stage.landlords.length,
      pauseMs: 50,
      next,
      onAnswer(operation, answer, worker) {
        const ok = answer.status >= 200 && answer.status < 300
        if (!ok) return
        const paths = cached[worker]
        if (paths === undefined) return
        if (operation.method === 'GET') paths.add(operation.path)
        // A new property changes the landlord's lists and dashboard, not other details.
        else for (const path of paths) if (!/^\/properties\/\d+$/.test(path)) paths.delete(path)
      },
      signal: context.signal,
    })
    const sampling = startSampling<Sampled>(async () => {
      const proxy = stage.pgProxy.stats()
      return {
        server: await stage.instance.sample(),
        proxyOpen: proxy.open,
        delayedChunks: proxy.delayedChunks,
      }
    }, 500)

    await sleep(warmMs, context.signal)
    const slowAt = performance.now()
    stage.pgProxy.setLatency(6_000)
    context.log(`PostgreSQL answers 6 s late for ${slowMs / 1_000} s`)
    await sleep(slowMs, context.signal)
    const fastAt = performance.now()
    stage.pgProxy.setLatency(0)
    // Requests sent near the end of the slow phase still wait for their late answers.
    await sleep(HARD_LIMIT_MS + 1_000, context.signal)
    await load.stop()
    await sampling.stop()

    const samples = load.samples.filter((s) => s.startedAt >= slowAt && s.startedAt < fastAt)
    const latency = latencyOf(samples.map((s) => s.durationMs))
    const overLimit = samples.filter((s) => s.durationMs > HARD_LIMIT_MS + SLACK_MS)
    const unanswered = samples.filter((s) => s.status === 0)
    const failures = samples.filter((s) => !succeeded(s))
    const not503 = failures.filter((s) => s.status !== 503)
    const byKind = (kind: string) => samples.filter((s) => s.kind === kind)
    const cachedReads = byKind('cached read')

    const before = sampling.values.filter((v) => v.server.at < slowAt)
    const slow = sampling.values.filter(
      (v) => v.server.at >= slowAt && v.server.at < fastAt + HARD_LIMIT_MS,
    )
    const maxOf = (list: readonly Sampled[], of: (v: Sampled) => number) =>
      Math.max(0, ...list.map(of))
    const heapBefore = maxOf(before, (v) => v.server.heapUsedBytes)
    const heapSlow = maxOf(slow, (v) => v.server.heapUsedBytes)
    const socketsBefore = maxOf(before, (v) => v.server.sockets)
    const socketsSlow = maxOf(slow, (v) => v.server.sockets)
    const pgOpen = maxOf(slow, (v) => v.proxyOpen)
    const kindFigures = (kind: string) => {
      const list = byKind(kind)
      return {
        latencyMs: latencyOf(list.map((s) => s.durationMs)),
        statuses: countBy(list, (s) => `${s.status} ${s.code ?? s.cache ?? ''}`.trim()),
      }
    }

    const cachedFailures = cachedReads.filter((s) => !succeeded(s))
    const notes =
      cachedFailures.length === 0
        ? []
        : [
            `${cachedFailures.length} of ${cachedReads.length} reads of cached data failed ` +
              'while the database was slow: ' +
              Object.entries(countBy(cachedFailures, (s) => `${s.path} ${s.code ?? s.status}`))
                .map(([key, count]) => `${key} (${count}x)`)
                .join(', '),
          ]

    return {
      notes,
      checks: [
        check(
          'slowest answer within the 5 s hard limit',
          `<= ${(HARD_LIMIT_MS + SLACK_MS) / 1_000} s`,
          `${round(latency.max / 1_000)} s (${overLimit.length} of ${samples.length} over)`,
          samples.length > 0 && overLimit.length === 0,
        ),
        check(
          'reads of cached data answer',
          'all 2xx',
          `${cachedReads.length - cachedFailures.length} of ${cachedReads.length} ` +
            `(stale ${cachedReads.filter((s) => succeeded(s) && s.cache === 'stale').length})`,
          cachedFailures.length === 0,
        ),
        check(
          'requests that hung',
          '0',
          `${unanswered.length} of ${samples.length}`,
          unanswered.length === 0,
        ),
        check(
          'failures answered 503',
          'all',
          `${failures.length - not503.length} of ${failures.length}`,
          not503.length === 0,
        ),
        check(
          'heap growth while slow',
          `< ${mib(HEAP_GROWTH_LIMIT_BYTES)} MiB`,
          `${mib(heapSlow - heapBefore)} MiB (${mib(heapBefore)} -> ${mib(heapSlow)})`,
          heapSlow - heapBefore < HEAP_GROWTH_LIMIT_BYTES,
        ),
        check(
          'connections to PostgreSQL',
          `<= ${PG_CONNECTIONS_LIMIT}`,
          `at most ${pgOpen} open`,
          pgOpen <= PG_CONNECTIONS_LIMIT,
        ),
        check(
          'open sockets of the server',
          `<= ${socketsBefore} + ${PG_CONNECTIONS_LIMIT}`,
          `at most ${socketsSlow} (${socketsBefore} before)`,
          socketsSlow <= socketsBefore + PG_CONNECTIONS_LIMIT,
        ),
      ],
      figures: {
        warmSeconds: warmMs / 1_000,
        slowSeconds: slowMs / 1_000,
        addedLatencyMs: 6_000,
        requests: samples.length,
        latencyMs: latency,
        cachedRead: kindFigures('cached read'),
        uncachedRead: kindFigures('uncached read'),
        write: kindFigures('write'),
        heapUsedMiB: { before: mib(heapBefore), slowMax: mib(heapSlow) },
        rssMiB: {
          before: mib(maxOf(before, (v) => v.server.rssBytes)),
          slowMax: mib(maxOf(slow, (v) => v.server.rssBytes)),
        },
        sockets: { before: socketsBefore, slowMax: socketsSlow },
        pgConnections: { slowMax: pgOpen },
        proxyDelayedChunksMax: maxOf(slow, (v) => v.delayedChunks),
        cachedReadFailures: countBy(cachedFailures, (s) => `${s.path} ${s.code ?? s.status}`),
        serverWarnings: countBy(
          stage.instance.logs.filter((line) => Number(line.level) >= 40),
          (line) => String(line.msg),
        ),
      },
    }
  },
}

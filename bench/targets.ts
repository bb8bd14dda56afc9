import type { ResultRow } from './harness'

/** One target of docs/performance.md, judged against the rows of a run. */
export interface Verdict {
  readonly target: string
  /** `undefined` when the run lacks the rows the target needs. */
  readonly met: boolean | undefined
  readonly measured: string
}

type Find = (suite: string, contender: string) => ResultRow | undefined

const CACHE_PEERS = ['async-cache-dedupe fetch', 'cache-manager wrap', 'bentocache getOrSet']
const RESILIENCE_PEERS = ['cockatiel', 'opossum']

/** Judges every target the rows allow; the others come back with `met: undefined`. */
export function judgeTargets(rows: readonly ResultRow[]): Verdict[] {
  const find: Find = (suite, contender) =>
    rows.find((row) => row.suite === suite && row.contender === contender)

  return [
    cacheHitFloor(find),
    cacheHitPeers(find),
    invalidationFlat(find),
    ...['Breaker, success path', 'Breaker, half the calls failing'].flatMap((suite) =>
      overhead(find, suite, '@ballast/breaker execute'),
    ),
    ...overhead(find, 'Deadline and timing', '@ballast/timing withDeadline + histogram.record'),
    ...['PostgreSQL call, PGlite', 'PostgreSQL call, real server'].map((suite) =>
      versionedCall(find, suite),
    ),
    cachedReads(find),
  ]
}

function cacheHitFloor(find: Find): Verdict {
  const target = 'Cache hit within 2x of raw lru-cache get'
  const ours = find('Cache hit path', '@ballast/cache get')
  const awaited = find('Cache hit path', 'await lru-cache get')
  if (ours === undefined || awaited === undefined) return missing(target)

  const overAwait = ours.ratio / awaited.ratio
  const sync = find('Cache hit path', '@ballast/cache getIfFresh')
  const syncText = sync === undefined ? '' : `; getIfFresh (no promise) ${times(sync.ratio)}`
  return {
    target,
    met: ours.ratio <= 2,
    measured:
      `get ${times(ours.ratio)} of lru-cache get, ${times(overAwait)} of ` +
      `\`await lru-cache get\` (which alone is ${times(awaited.ratio)})${syncText}`,
  }
}

function cacheHitPeers(find: Find): Verdict {
  const target = 'Cache hit faster than every cache peer'
  const ours = find('Cache hit path', '@ballast/cache get')
  const peers = CACHE_PEERS.map((name) => find('Cache hit path', name))
  if (ours === undefined || peers.some((peer) => peer === undefined)) return missing(target)

  const rows = peers as ResultRow[]
  const fastest = rows.reduce((a, b) => (a.ratio <= b.ratio ? a : b))
  return {
    target,
    met: rows.every((peer) => ours.ratio < peer.ratio),
    measured: `the fastest peer, ${fastest.contender}, takes ${times(
      fastest.ratio / ours.ratio,
    )} as long as ours`,
  }
}

function invalidationFlat(find: Find): Verdict {
  const target = 'Tag invalidation flat from 1 to 100,000 entries, under 1 ms at 100,000'
  const name = '@ballast/cache invalidate'
  const one = find('Tag invalidation, 1 entry', name)
  const many = find('Tag invalidation, 100,000 entries', name)
  if (one === undefined || many === undefined) return missing(target)

  const growth = many.nsPerOp / one.nsPerOp
  return {
    target,
    met: growth <= 2 && many.nsPerOp < 1e6,
    measured: `${microseconds(one.nsPerOp)} at 1, ${microseconds(many.nsPerOp)} at 100,000 (${times(
      growth,
    )})`,
  }
}

function overhead(find: Find, suite: string, ours: string): Verdict[] {
  const row = find(suite, ours)
  const peers = RESILIENCE_PEERS.map((prefix) =>
    [
      find(suite, `${prefix} circuitBreaker`),
      find(suite, `${prefix} timeout (Cooperative)`),
      find(suite, `${prefix} fire`),
      find(suite, `${prefix} fire, timeout 5 s`),
    ].find((candidate) => candidate !== undefined),
  )
  const within = `${suite}: ${ours} within 1.3x of a bare await`
  const faster = `${suite}: ${ours} faster than cockatiel and opossum`
  if (row === undefined) return [missing(within), missing(faster)]

  const found = peers.filter((peer): peer is ResultRow => peer !== undefined)
  return [
    { target: within, met: row.ratio <= 1.3, measured: times(row.ratio) },
    {
      target: faster,
      met: found.length === RESILIENCE_PEERS.length && found.every((p) => row.ratio < p.ratio),
      measured: found.map((peer) => `${peer.contender} ${times(peer.ratio)}`).join(', '),
    },
  ]
}

function versionedCall(find: Find, suite: string): Verdict {
  const target = `${suite}: a versioned call within 5% of the raw query`
  const row = find(suite, 'FunctionClient.call')
  if (row === undefined) return missing(target)

  return { target, met: row.ratio <= 1.05, measured: times(row.ratio) }
}

function cachedReads(find: Find): Verdict {
  const target =
    'Example server: cached reads at least 70% of a bare Fastify route, p99 under 10 ms'
  const row = find('Example server under load', 'GET /properties (cached)')
  if (row === undefined || row.latencyMs === undefined) return missing(target)

  const share = 1 / row.ratio
  return {
    target,
    met: share >= 0.7 && row.latencyMs.p99 < 10,
    measured: `${(share * 100).toFixed(0)}% of the bare route, p99 ${row.latencyMs.p99.toFixed(
      2,
    )} ms`,
  }
}

function missing(target: string): Verdict {
  return { target, met: undefined, measured: 'not in this run' }
}

function times(ratio: number): string {
  return `${ratio.toFixed(2)}x`
}

function microseconds(ns: number): string {
  return `${(ns / 1000).toFixed(1)} µs`
}

/** The verdicts as a markdown table. */
export function verdictTable(verdicts: readonly Verdict[]): string {
  const lines = ['### Targets', '', '| target | verdict | measured |', '| --- | --- | --- |']
  for (const verdict of verdicts) {
    const met = verdict.met === undefined ? 'not run' : verdict.met ? 'met' : '**missed**'
    lines.push(`| ${verdict.target} | ${met} | ${verdict.measured} |`)
  }

  return lines.join('\n')
}

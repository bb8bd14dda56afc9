import http from 'node:http'
import { createBalancer } from '../support/balancer'
import type { Landlord } from '../support/database'
import { countBy, latencyOf, round } from '../support/figures'
import { createClient, sleep } from '../support/http'
import type { Instance } from '../support/instance'
import { type Operation, startLoad, succeeded } from '../support/load'
import { check, type Scenario } from '../support/scenario'
import { setUpStage } from '../support/stage'

/** The server's default: how long readiness says 503 before the listener closes. */
const DRAIN_DELAY_MS = 5_000

/** What was seen of one instance while it drained. */
interface Drain {
  readonly name: string
  /** Runner time SIGTERM was sent. */
  readonly signalledAt: number
  /** When readiness first answered 503, and when a new connection was first refused. */
  readonly notReadyAt: number | undefined
  readonly refusedAt: number | undefined
  /** Runner time the process ended. */
  readonly exitedAt: number
  readonly exit: { code: number | null; signal: NodeJS.Signals | null }
}

/**
 * Scenario 5. Two instances, started together on the empty database, behind a small
 * balancer that forwards only to instances whose readiness answers 200 (polled every 100 ms)
 * and retries nothing. Under load, the first
 * instance gets SIGTERM; once it has exited a replacement starts and the second gets
 * SIGTERM: a rolling restart. Judged: no request fails, none an instance had accepted, and
 * each instance's readiness answers 503 before its listener closes.
 */
export const rollingRestartScenario: Scenario = {
  name: 'rolling-restart',
  title: 'SIGTERM during load, second instance takes over',
  timeLimitSeconds: () => 120,
  async run(context) {
    // Both start together on the empty database: preparing it (migrations, functions, the
    // demo seed) is locked, so neither may fail.
    const stage = await setUpStage(context, { landlords: 6, propertiesEach: 3, instances: 2 })
    const [first, second] = stage.instances as [Instance, Instance]
    const balancer = await createBalancer({ pollIntervalMs: 100 })
    context.defer(() => balancer.close())
    balancer.add(first.url)
    balancer.add(second.url)
    await balancer.poll()

    const client = createClient(balancer.url, { maxSockets: 16, timeoutMs: 20_000 })
    context.defer(() => client.close())
    let turn = 0
    const next = (worker: number): Operation => {
      const landlord = stage.landlords[worker % stage.landlords.length] as Landlord
      const n = ++turn
      const [property] = landlord.propertyIds
      if (n % 4 === 0) {
        return {
          kind: 'write',
          method: 'POST',
          path: '/properties',
          token: landlord.token,
          body: { name: `L${landlord.index} rolling ${n}`, address: 'Roll Rd', city: 'Roll' },
        }
      }
      if (n % 4 === 1) {
        return {
          kind: 'write',
          method: 'PATCH',
          path: `/properties/${property}`,
          token: landlord.token,
          body: { name: `L${landlord.index} renamed ${n}` },
        }
      }
      const path = n % 4 === 2 ? '/properties' : `/properties/${property}`
      return { kind: 'read', method: 'GET', path, token: landlord.token }
    }
    const load = startLoad({ client, workers: 8, pauseMs: 10, next, signal: context.signal })

    await sleep(4_000, context.signal)
    const drains: Drain[] = []
    drains.push(await drain('first', first, context.signal))
    context.log(`first instance drained and exited (${describeExit(drains[0] as Drain)})`)

    const replacement = await stage.startAnother()
    balancer.add(replacement.url)
    await waitReady(balancer, replacement.url, context.signal)
    context.log('replacement ready; draining the second instance')
    await sleep(2_000, context.signal)
    drains.push(await drain('second', second, context.signal))
    context.log(`second instance drained and exited (${describeExit(drains[1] as Drain)})`)
    await sleep(2_000, context.signal)
    await load.stop()

    const samples = load.samples
    const failed = samples.filter((s) => !succeeded(s))
    const stats = balancer.stats()
    const afterAccepting = stats.upstreams.reduce((sum, u) => sum + u.failedAfterSending, 0)
    const refused = stats.upstreams.reduce((sum, u) => sum + u.refused, 0)
    // A 5xx an instance itself sent is a request it accepted and failed.
    const instanceErrors = failed.filter(
      (s) => s.status >= 500 && s.code !== 'bad_gateway' && s.code !== 'no_upstream',
    )
    const acceptedFailures = afterAccepting + instanceErrors.length
    const gaps = drains.map((d) =>
      d.notReadyAt === undefined || d.refusedAt === undefined ? -1 : d.refusedAt - d.notReadyAt,
    )

    return {
      checks: [
        check(
          'failed requests an instance accepted',
          '0',
          `${acceptedFailures} of ${samples.length}`,
          acceptedFailures === 0 && samples.length > 0,
        ),
        check(
          'failed requests, any cause',
          '0',
          `${failed.length} of ${samples.length}`,
          failed.length === 0,
        ),
        check(
          'readiness 503 before the listener closes',
          'every drain',
          gaps.map((gap) => (gap < 0 ? 'not seen' : `${round(gap / 1_000)} s before`)).join(', '),
          gaps.every((gap) => gap > 0),
        ),
        check(
          'drained instances exit after the drain',
          'exit 0 or SIGTERM re-raised',
          drains.map(describeExit).join(', '),
          drains.every(exitedCleanly),
        ),
      ],
      figures: {
        requests: samples.length,
        latencyMs: latencyOf(samples.map((s) => s.durationMs)),
        statuses: countBy(
          samples,
          (s) => `${s.status}${s.error === undefined ? '' : ` ${s.error}`}`,
        ),
        balancer: stats,
        drains: drains.map((d) => ({
          name: d.name,
          notReadySecondsAfterSignal:
            d.notReadyAt === undefined ? null : round((d.notReadyAt - d.signalledAt) / 1_000, 3),
          refusedSecondsAfterSignal:
            d.refusedAt === undefined ? null : round((d.refusedAt - d.signalledAt) / 1_000, 3),
          exitedSecondsAfterSignal: round((d.exitedAt - d.signalledAt) / 1_000, 3),
          exit: d.exit,
        })),
        drainDelayMs: DRAIN_DELAY_MS,
        refusedByInstances: refused,
      },
    }
  },
}

/**
 * Sends SIGTERM and watches the instance directly, each probe on a new connection: when
 * readiness turns to 503, when the listener stops accepting, when the process exits.
 */
async function drain(name: string, instance: Instance, signal: AbortSignal): Promise<Drain> {
  let notReadyAt: number | undefined
  let refusedAt: number | undefined
  const signalledAt = performance.now()
  instance.signal('SIGTERM')

  let exited = false
  let exitedAt = 0
  const exit = instance.exited.then((result) => {
    exited = true
    exitedAt = performance.now()
    return result
  })
  while (!exited && refusedAt === undefined && !signal.aborted) {
    const outcome = await probeReadiness(instance.url)
    if (outcome === 503 && notReadyAt === undefined) notReadyAt = performance.now()
    if (outcome === 'refused') refusedAt = performance.now()
    await sleep(20, signal)
  }

  const result = await exit
  return { name, signalledAt, notReadyAt, refusedAt, exitedAt, exit: result }
}

function probeReadiness(url: string): Promise<number | 'refused' | 'error'> {
  return new Promise((resolve) => {
    const request = http.get(`${url}/health/ready`, { agent: false, timeout: 1_000 }, (answer) => {
      answer.resume()
      resolve(answer.statusCode ?? 0)
    })
    request.on('timeout', () => request.destroy())
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'error'),
    )
  })
}

async function waitReady(
  balancer: Awaited<ReturnType<typeof createBalancer>>,
  url: string,
  signal: AbortSignal,
): Promise<void> {
  const wanted = new URL(url).toString()
  while (!signal.aborted) {
    if (balancer.stats().upstreams.some((u) => u.url === wanted && u.ready)) return
    await sleep(50, signal)
  }
}

/**
 * The server re-raises the signal once drained (`@ballast/health`'s default), so SIGTERM as
 * the exit status is the clean end, as long as it came after the listener had closed.
 */
function exitedCleanly(drain: Drain): boolean {
  const clean = drain.exit.code === 0 || drain.exit.signal === 'SIGTERM'
  return clean && drain.refusedAt !== undefined && drain.exitedAt >= drain.refusedAt
}

function describeExit(drain: Drain): string {
  const how = drain.exit.signal === null ? `exit ${drain.exit.code}` : drain.exit.signal
  return `${how} ${round((drain.exitedAt - drain.signalledAt) / 1_000, 1)} s after the signal`
}

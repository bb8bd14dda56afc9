import autocannon from 'autocannon'
import { mib, round } from '../support/figures'
import { sleep } from '../support/http'
import type { ProcessSample } from '../support/instance'
import { startSampling } from '../support/load'
import { check, type Scenario } from '../support/scenario'
import { setUpStage } from '../support/stage'

/** The server's cache bound: `createServices` defaults to 64 MiB and no variable changes it. */
const CACHE_MAX_BYTES = 64 * 1024 * 1024

/**
 * The stated baseline: what the server's heap may hold beyond the cache (code, Fastify,
 * pools, metrics, timing windows, garbage not yet collected). Measured idle under load at
 * 35 to 45 MiB on the reference machine; stated with room for the collector's timing.
 */
const BASELINE_BYTES = 64 * 1024 * 1024

/** Properties per landlord: list pages of up to 100 of them make entries of tens of KiB. */
const PROPERTIES_EACH = 150

/**
 * Scenario 8. Autocannon reads list pages whose `limit` (20 to 100) and `offset` do not
 * repeat within a run, so every request stores a new cache entry of tens of KiB, for 90 s
 * (`--soak-seconds 300` for the five minutes). Large pages fill the 64 MiB cache
 * within seconds, so its byte limit is reached and evictions run for most of the soak,
 * without a smaller limit (the server has no setting for one). The server runs with its
 * old generation capped at that bound. Judged: it stays up (no out-of-memory), its heap
 * stays under the cache's byte limit plus the stated baseline, and the limit was reached.
 */
export const soakScenario: Scenario = {
  name: 'soak',
  title: 'Soak: unique keys',
  timeLimitSeconds: (settings) => settings.soakSeconds + 60,
  async run(context) {
    const seconds = context.settings.soakSeconds
    const rate = 150
    const limitMiB = mib(CACHE_MAX_BYTES + BASELINE_BYTES)
    const stage = await setUpStage(context, {
      landlords: 4,
      propertiesEach: PROPERTIES_EACH,
      unitsPerProperty: 0,
      // V8 collects when it likes and, left alone, lets garbage pile up well past what is
      // held. Capping the old generation at the promised bound makes it collect in time,
      // and makes a heap that really holds more than the bound end the process.
      env: { NODE_OPTIONS: `--max-old-space-size=${limitMiB}` },
    })
    const tokens = stage.landlords.map((l) => `Bearer ${l.token}`)
    const sampling = startSampling<ProcessSample>(() => stage.instance.sample(), 2_000)
    await sleep(1_000, context.signal)

    let n = 0
    context.log(`unique list pages at ${rate}/s for ${seconds} s`)
    const cannon = autocannon({
      url: stage.instance.url,
      connections: 6,
      duration: seconds,
      overallRate: rate,
      timeout: 10,
      requests: [
        {
          method: 'GET',
          setupRequest(request) {
            const k = n++
            const page = Math.floor(k / tokens.length)
            const limit = 20 + (page % 81)
            const offset = Math.floor(page / 81) % PROPERTIES_EACH
            const path = `/properties?limit=${limit}&offset=${offset}`
            const authorization = tokens[k % tokens.length] as string
            return { ...request, path, headers: { authorization } }
          },
        },
      ],
    })
    const stop = () => cannon.stop()
    context.signal.addEventListener('abort', stop, { once: true })
    const result = await cannon
    context.signal.removeEventListener('abort', stop)
    await sleep(2_500, context.signal)
    await sampling.stop()

    const values = sampling.values
    const during = values.slice(1)
    const maxHeap = Math.max(0, ...during.map((v) => v.heapUsedBytes))
    const last = values[values.length - 1]
    const outside = (v: ProcessSample) => v.heapUsedBytes - v.cacheBytes
    // The collector runs when it likes: compare the lowest readings of the first and last
    // fifth of the soak, which are the closest to what is really held.
    const fifth = Math.max(1, Math.floor(during.length / 5))
    const settled = (list: readonly ProcessSample[]) => Math.min(...list.map(outside))
    const outsideStart = settled(during.slice(0, fifth))
    const outsideEnd = settled(during.slice(-fifth))
    const growth = outsideEnd - outsideStart
    const failed = result.non2xx + result.errors + result.timeouts
    const limit = CACHE_MAX_BYTES + BASELINE_BYTES

    return {
      checks: [
        check(
          `heap, at most (old space capped at ${limitMiB} MiB)`,
          `< ${mib(CACHE_MAX_BYTES)} MiB cache + ${mib(BASELINE_BYTES)} MiB baseline`,
          `${mib(maxHeap)} MiB (cache held ${mib(last?.cacheBytes ?? 0)} MiB)`,
          maxHeap < limit,
        ),
        check(
          'the byte limit was reached',
          'evictions > 0',
          `${last?.cacheEvictions ?? 0} evictions, ${mib(last?.cacheBytes ?? 0)} MiB held`,
          (last?.cacheEvictions ?? 0) > 0,
        ),
        check('failed requests', '0', `${failed} of ${result.requests.total ?? n}`, failed === 0),
      ],
      figures: {
        seconds,
        oldSpaceCapMiB: limitMiB,
        targetRate: rate,
        requests: n,
        failed,
        latencyMs: {
          p50: result.latency.p50,
          p99: result.latency.p99,
          max: result.latency.max,
        },
        cache: {
          entries: last?.cacheEntries ?? 0,
          bytesMiB: mib(last?.cacheBytes ?? 0),
          evictions: last?.cacheEvictions ?? 0,
          maxBytesMiB: mib(CACHE_MAX_BYTES),
        },
        heapMiB: {
          first: mib(values[0]?.heapUsedBytes ?? 0),
          max: mib(maxHeap),
          last: mib(last?.heapUsedBytes ?? 0),
        },
        rssMiB: { first: mib(values[0]?.rssBytes ?? 0), last: mib(last?.rssBytes ?? 0) },
        outsideCacheMiB: { start: mib(outsideStart), end: mib(outsideEnd), growth: mib(growth) },
        timeline: values.map((v) => ({
          second: round((v.at - (values[0]?.at ?? v.at)) / 1_000, 0),
          heapMiB: mib(v.heapUsedBytes),
          cacheMiB: mib(v.cacheBytes),
          entries: v.cacheEntries,
        })),
      },
      notes: [
        `Lowest heap readings minus the cache's own measure of its bytes: ` +
          `${mib(outsideStart)} MiB early, ${mib(outsideEnd)} MiB late in the soak ` +
          '(negative: the estimate counts more than these entries really hold).',
      ],
    }
  },
}

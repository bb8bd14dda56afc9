import autocannon from 'autocannon'

/** What one target of the HTTP suite sends. */
export interface LoadTarget {
  readonly name: string
  /** What the row measures, for the table. */
  readonly includes: string
  readonly url: string
  readonly method?: 'GET' | 'POST' | 'PATCH'
  readonly headers?: Record<string, string>
  /** A body per request, so each one can differ (a new name, a new offset). */
  readonly body?: (sequence: number) => string
  /** A path per request; the default is the URL's own. */
  readonly path?: (sequence: number) => string
}

/** What one run of a target measured. */
export interface LoadResult {
  readonly requests: number
  readonly requestsPerSecond: number
  /** Latencies in milliseconds, from each response as autocannon timed it. */
  readonly p50: number
  readonly p95: number
  readonly p99: number
  /** Connection errors, timeouts and non-2xx answers. */
  readonly failures: number
}

/** How hard and how long to drive a target. */
export interface LoadSettings {
  readonly connections: number
  readonly seconds: number
}

/**
 * Drives one target with autocannon for a fixed time and reads every response's latency
 * itself, so p95 is exact (autocannon's summary stops at p90 and p97.5).
 */
export async function drive(target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  const latencies: number[] = []
  let sequence = 0
  const url = new URL(target.url)

  const options: autocannon.Options = {
    url: url.origin,
    connections: settings.connections,
    duration: settings.seconds,
    requests: [
      {
        method: target.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
        headers: {
          ...(target.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...target.headers,
        },
        setupRequest: (request: autocannon.Request) => {
          sequence++
          if (target.path !== undefined) request.path = target.path(sequence)
          if (target.body !== undefined) request.body = target.body(sequence)
          return request
        },
      },
    ],
  }
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)))
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime)
    })
  })
  latencies.sort((a, b) => a - b)

  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / settings.seconds,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    failures: result.errors + result.timeouts + result.non2xx,
  }
}

function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return Number.NaN

  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] as number
}

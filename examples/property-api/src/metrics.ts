import client from 'prom-client'
import type { Services } from './services'

/** The server's Prometheus metrics, in a registry of their own. */
export interface Metrics {
  /** Where `GET /metrics` reads from. */
  readonly registry: client.Registry
  /** Records one answered request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void
}

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const

/**
 * Builds the metrics. Request durations are a histogram; cache, breaker and function
 * figures are read from the services when Prometheus scrapes, so nothing is counted twice
 * and the hot paths do no metrics work of their own.
 */
export function createMetrics(services: Services): Metrics {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry })

  const requests = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer a request, by route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5],
    registers: [registry],
  })

  cacheGauges(registry, services)
  breakerGauge(registry, services)
  functionMetrics(registry, services)

  // prom-client hashes the label values of every observation; a child per label set, made
  // once, skips that on the path every request takes.
  const children = new Map<string, client.Histogram.Internal<string>>()

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      const labels = `${method} ${route} ${status}`
      let child = children.get(labels)
      if (child === undefined) {
        child = requests.labels({ method, route, status: String(status) })
        children.set(labels, child)
      }

      child.observe(seconds)
    },
  }
}

function cacheGauges(registry: client.Registry, services: Services): void {
  const figures = [
    ['hits', 'Reads answered by a fresh entry'],
    ['misses', 'Reads that started a load'],
    ['coalesced', 'Reads that joined a load under way'],
    ['staleServed', 'Reads answered by a stale entry after a failed load'],
    ['loadErrors', 'Loads that failed'],
    ['evictions', 'Entries evicted by the byte bound'],
    ['invalidations', 'Invalidations applied'],
    ['entries', 'Entries held'],
    ['bytes', 'Bytes held, as the cache measures them'],
  ] as const

  new client.Gauge({
    name: 'ballast_cache',
    help: 'Cache figures by name; counters since start, sizes now',
    labelNames: ['figure'],
    registers: [registry],
    collect() {
      const stats = services.cache.stats()
      for (const [figure] of figures) this.set({ figure }, stats[figure])
    },
  })
}

function breakerGauge(registry: client.Registry, services: Services): void {
  new client.Gauge({
    name: 'ballast_breaker_state',
    help: 'Circuit state per breaker: 1 for the current state, 0 for the others',
    labelNames: ['breaker', 'state'],
    registers: [registry],
    collect() {
      for (const snapshot of services.breakers.snapshot()) {
        for (const state of BREAKER_STATES) {
          this.set({ breaker: snapshot.name, state }, snapshot.state === state ? 1 : 0)
        }
      }
    },
  })
}

function functionMetrics(registry: client.Registry, services: Services): void {
  const calls = new client.Histogram({
    name: 'ballast_pg_function_duration_seconds',
    help: 'Database function calls by versioned name and outcome',
    labelNames: ['function', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })

  services.functions.on('call', (event) => {
    const outcome = event.ok ? 'ok' : 'error'
    calls.observe({ function: event.physicalName, outcome }, event.durationMs / 1_000)
  })
}

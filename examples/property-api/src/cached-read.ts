import type { FastifyRequest } from 'fastify'
import type { CachedRead } from './cache-plan'
import type { Services } from './services'

/** Per-read settings of {@link cachedRead}. */
export interface CachedReadOptions {
  /** Freshness of the entry; the cache's default when omitted. */
  readonly ttlMs?: number
  /** Whether the outcome sets the response's `X-Cache` header. @default true */
  readonly reportsCache?: boolean
  /** The `Server-Timing` metric name. @default 'cache' */
  readonly timingName?: string
}

const isFound = (value: unknown): boolean => value !== null

/**
 * Reads through the cache and notes the outcome for the response headers. A `null` result
 * (the row does not exist, or is not the caller's) is returned but not kept: an entity
 * created a moment later under that id must be found at once, and no fallback may ever
 * resurrect a row the source says is gone.
 */
export async function cachedRead<T>(
  services: Services,
  request: FastifyRequest,
  read: CachedRead,
  load: (signal: AbortSignal) => Promise<T | null>,
  signal: AbortSignal,
  options: CachedReadOptions = {},
): Promise<T | null> {
  const started = performance.now()
  const result = await services.cache.getWithInfo(read.key, load, {
    tags: read.tags,
    signal,
    shouldStore: isFound,
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
  })

  // A reader that joined another's load waited for the source like a miss did.
  const header = result.provenance === 'coalesced' ? 'miss' : result.provenance
  if (options.reportsCache !== false) request.state.cache = header
  request.state.timings.push({
    name: options.timingName ?? 'cache',
    durationMs: performance.now() - started,
    description: result.provenance,
  })

  return result.value
}

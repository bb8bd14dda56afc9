import type { ServerTimingEntry } from '@ballast/timing'

/** Where a response's data came from, as the `X-Cache` header says it. */
export type CacheHeader = 'hit' | 'miss' | 'stale'

/** What the server notes about one request while answering it. */
export interface RequestState {
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number
  /** Entries of the `Server-Timing` header, in the order they happened. */
  readonly timings: ServerTimingEntry[]
  /** Set by cached reads. */
  cache: CacheHeader | undefined
  /** The landlord the bearer token belongs to, once authenticated. */
  landlordId: number | undefined
  /** Whether the route timed itself under the recorder (the API routes do). */
  timed: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Per-request bookkeeping of the property API. */
    state: RequestState
  }
}

/** A fresh state for a request that arrived now. */
export function newRequestState(): RequestState {
  return {
    startedAt: performance.now(),
    timings: [],
    cache: undefined,
    landlordId: undefined,
    timed: false,
  }
}

/**
 * The part of autocannon 8's programmatic API the scenarios use; the package ships no types
 * and `@types/autocannon` is not installed.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  /** One request of a connection's sequence; `setupRequest` may change it before it goes. */
  export interface AutocannonRequest {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
    setupRequest?: (
      request: AutocannonRequest,
      context: Record<string, unknown>,
    ) => AutocannonRequest | undefined
    onResponse?: (
      status: number,
      body: string,
      context: Record<string, unknown>,
      headers: Record<string, string>,
    ) => void
  }

  export interface AutocannonOptions {
    url: string
    connections?: number
    duration?: number
    amount?: number
    timeout?: number
    pipelining?: number
    overallRate?: number
    connectionRate?: number
    headers?: Record<string, string>
    requests?: AutocannonRequest[]
    bailout?: number
    excludeErrorStats?: boolean
  }

  export interface Histogram {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    p50: number
    p90: number
    p97_5: number
    p99: number
    p99_9?: number
    total?: number
  }

  export interface AutocannonResult {
    requests: Histogram & { sent: number }
    latency: Histogram
    errors: number
    timeouts: number
    non2xx: number
    mismatches: number
    resets: number
    duration: number
    '1xx': number
    '2xx': number
    '3xx': number
    '4xx': number
    '5xx': number
    statusCodeStats: Record<string, { count: number }>
  }

  export interface Instance extends EventEmitter {
    stop(): void
  }

  function autocannon(
    options: AutocannonOptions,
    callback?: (error: Error | null, result: AutocannonResult) => void,
  ): Instance & PromiseLike<AutocannonResult>

  export default autocannon
}

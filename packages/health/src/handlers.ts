import { describe } from './describe'
import type { Health } from './health'
import { HEALTH_CONTENT_TYPE, type HealthBody } from './healthJson'
import { httpStatusOf } from './status'

/** An HTTP answer any framework can send as it is. */
export interface HealthResponse {
  /** 200 for `pass` and `warn`, 503 for `fail`. */
  readonly status: 200 | 503
  /** `content-type: application/health+json`, `cache-control: no-store` and `content-length`. */
  readonly headers: Readonly<Record<string, string>>
  /** The answer as JSON text. */
  readonly body: string
}

/** Builds the HTTP answer of each endpoint. */
export interface HealthHandlers {
  /** The liveness answer; the same object until liveness changes. */
  liveness(): HealthResponse
  /** The readiness answer; the same object until readiness changes. */
  readiness(): HealthResponse
  /** The full report, built and serialised on each call. */
  report(): HealthResponse
}

/** The part of a health object the handlers read. */
export type HealthAnswers = Pick<Health, 'liveness' | 'readiness' | 'report'>

/** URL paths of the three endpoints. */
export interface HealthPaths {
  /**
   * The liveness endpoint, for the liveness probe.
   * @default '/health/ping'
   */
  readonly liveness?: string
  /**
   * The readiness endpoint, for the readiness probe and load balancers.
   * @default '/health/ready'
   */
  readonly readiness?: string
  /**
   * The full report, for people and dashboards. It names dependencies and
   * their errors: keep it off the public internet.
   * @default '/health'
   */
  readonly report?: string
}

/** Paths with their defaults applied. */
export type ResolvedHealthPaths = Required<HealthPaths>

/**
 * Creates framework-agnostic handlers. Liveness and readiness answers are
 * serialised once per change of the underlying answer, so a probe costs a
 * comparison and no allocation.
 *
 * @example
 * ```ts
 * const handlers = createHealthHandlers(health)
 * const { status, headers, body } = handlers.readiness()
 * ```
 */
export function createHealthHandlers(health: HealthAnswers): HealthHandlers {
  if (typeof health !== 'object' || health === null || typeof health.readiness !== 'function') {
    throw new TypeError(
      `createHealthHandlers: health must be a health object, received ${describe(health)}`,
    )
  }

  return {
    liveness: memoised(() => health.liveness()),
    readiness: memoised(() => health.readiness()),
    report: () => toResponse(health.report()),
  }
}

/** Serialises an answer again only when `read` returns a different object. */
function memoised(read: () => HealthBody): () => HealthResponse {
  let lastBody: HealthBody | undefined
  let lastResponse: HealthResponse | undefined

  return () => {
    const body = read()
    if (body !== lastBody || lastResponse === undefined) {
      lastBody = body
      lastResponse = toResponse(body)
    }

    return lastResponse
  }
}

function toResponse(answer: HealthBody): HealthResponse {
  const body = JSON.stringify(answer)
  const headers = Object.freeze({
    'content-type': HEALTH_CONTENT_TYPE,
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(body)),
  })

  return Object.freeze({ status: httpStatusOf(answer.status), headers, body })
}

/** Validates `paths` and applies the defaults. `where` prefixes every message. */
export function resolvePaths(paths: HealthPaths | undefined, where: string): ResolvedHealthPaths {
  if (paths !== undefined && (typeof paths !== 'object' || paths === null)) {
    throw new TypeError(`${where} must be an object, received ${describe(paths)}`)
  }
  const resolved = {
    liveness: path(paths?.liveness, '/health/ping', `${where}.liveness`),
    readiness: path(paths?.readiness, '/health/ready', `${where}.readiness`),
    report: path(paths?.report, '/health', `${where}.report`),
  }
  if (new Set(Object.values(resolved)).size !== 3) {
    throw new RangeError(
      `${where} must be three different paths, received ${JSON.stringify(resolved)}`,
    )
  }

  return resolved
}

function path(value: unknown, fallback: string, where: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('?')) {
    throw new TypeError(
      `${where} must be a path starting with "/" and without a query, received ${describe(value)}`,
    )
  }

  return value
}

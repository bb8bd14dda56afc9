/**
 * The status of a health answer or of one check, as `application/health+json`
 * spells it: `pass` is healthy, `warn` is healthy with a concern, `fail` is
 * unhealthy. HTTP answers use 200 for `pass` and `warn`, 503 for `fail`.
 */
export type HealthStatus = 'pass' | 'warn' | 'fail'

const RANK: Readonly<Record<HealthStatus, number>> = { pass: 0, warn: 1, fail: 2 }

/** The worse of two statuses. */
export function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[b] > RANK[a] ? b : a
}

/** Whether `value` is one of the three statuses. */
export function isHealthStatus(value: unknown): value is HealthStatus {
  return value === 'pass' || value === 'warn' || value === 'fail'
}

/** The HTTP status code an answer with `status` is sent with. */
export function httpStatusOf(status: HealthStatus): 200 | 503 {
  return status === 'fail' ? 503 : 200
}

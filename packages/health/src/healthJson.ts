import type { HealthStatus } from './status'

/** A value a check observed: a number with its unit, a state name, a flag. */
export type ObservedValue = number | string | boolean | null

/**
 * One element of a `checks` entry of `application/health+json`: what one
 * component measured, and how that looks.
 */
export interface HealthCheckEntry {
  /** A stable identifier of the component instance, when one was configured. */
  readonly componentId?: string
  /** `component`, `datastore` or `system`, or a type of your own. */
  readonly componentType: string
  /** The measured value; a check's duration in milliseconds unless it reports its own. */
  readonly observedValue?: ObservedValue
  /** The unit of `observedValue`, e.g. `ms`, `bytes`, `ratio`. */
  readonly observedUnit?: string
  /** The status of this measurement. */
  readonly status: HealthStatus
  /** When the measurement was taken, ISO 8601; absent before a check's first result. */
  readonly time?: string
  /** Why the status is `warn` or `fail`; omitted on `pass`, as the format recommends. */
  readonly output?: string
}

/**
 * The measurements of an answer, keyed `"<component>:<measurement>"`, e.g.
 * `"postgres:responseTime"`; each key maps to an array, one element per
 * instance measured.
 */
export type HealthChecks = Readonly<Record<string, readonly HealthCheckEntry[]>>

/**
 * An answer in the `application/health+json` shape (the IETF draft "Health
 * Check Response Format for HTTP APIs"). Liveness and readiness answers carry
 * `status`, and `output` when not passing; readiness adds its critical checks.
 */
export interface HealthBody {
  /** `pass`, `warn` or `fail`. */
  readonly status: HealthStatus
  /** The public version of the service, when configured. */
  readonly version?: string
  /** The build or release of the implementation, when configured. */
  readonly releaseId?: string
  /** A unique identifier of the service instance, when configured. */
  readonly serviceId?: string
  /** A human-friendly description of the service, when configured. */
  readonly description?: string
  /** Why the status is `warn` or `fail`; omitted on `pass`. */
  readonly output?: string
  /** The measurements behind the status. */
  readonly checks?: HealthChecks
}

/** The full report: every check and every registered source, with the service's identity. */
export interface HealthReport extends HealthBody {
  /** Every check and source measurement. */
  readonly checks: HealthChecks
}

/** The media type of every answer. */
export const HEALTH_CONTENT_TYPE = 'application/health+json'

/** Renders a clock time as ISO 8601, or `undefined` for a time no date can hold. */
export function isoTime(time: number): string | undefined {
  const date = new Date(time)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** Freezes an answer and everything in it, so a cached answer cannot be changed by a reader. */
export function freezeBody<B extends HealthBody>(body: B): B {
  if (body.checks !== undefined) {
    for (const entries of Object.values(body.checks)) {
      for (const entry of entries) Object.freeze(entry)
      Object.freeze(entries)
    }
    Object.freeze(body.checks)
  }

  return Object.freeze(body)
}

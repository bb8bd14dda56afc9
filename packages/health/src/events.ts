import type { CheckResult } from './check'
import type { DrainSummary } from './drain'
import type { HealthStatus } from './status'

/** Emitted when a check's status differs from its previous result's, the first result included. */
export interface CheckStatusChangeEvent {
  /** The check's name. */
  readonly name: string
  /** Whether readiness depends on the check. */
  readonly critical: boolean
  /** The previous status, or `'unknown'` for the first result. */
  readonly from: HealthStatus | 'unknown'
  /** The new status. */
  readonly to: HealthStatus
  /** The result that changed it. */
  readonly result: CheckResult
}

/** Emitted when the readiness status changes. */
export interface ReadinessChangeEvent {
  /** The status before. */
  readonly from: HealthStatus
  /** The status now. */
  readonly to: HealthStatus
  /** Why readiness is not `pass`, e.g. `'draining'`; undefined on `pass`. */
  readonly output: string | undefined
  /** Clock time of the change. */
  readonly at: number
}

/** Emitted when a drain begins, after readiness turned to 503. */
export interface DrainStartEvent {
  /** The reason the drain was given, e.g. `'SIGTERM'`. */
  readonly reason: string | undefined
  /** Tracked requests in flight. */
  readonly inFlight: number
  /** Clock time the drain began. */
  readonly at: number
}

/**
 * A step of the drain:
 * - `readiness-delay`: readiness is 503, requests are still served;
 * - `stop-accepting`: the servers stop accepting connections;
 * - `grace`: waiting for requests in flight;
 * - `closers`: the closers run in order.
 */
export type DrainPhase = 'readiness-delay' | 'stop-accepting' | 'grace' | 'closers'

/** Emitted when a drain enters a step. */
export interface DrainPhaseEvent {
  /** The step entered. */
  readonly phase: DrainPhase
  /** Tracked requests in flight. */
  readonly inFlight: number
  /** Clock time the step began. */
  readonly at: number
}

/** Emitted when a server or closer fails or runs out of time during a drain. */
export interface CloserFailureEvent {
  /** The name it was registered under. */
  readonly name: string
  /** `'server'` or `'closer'`. */
  readonly kind: 'server' | 'closer'
  /** What it threw or rejected with, or the `CloserTimeoutError`. */
  readonly error: unknown
  /** Whether it ran out of time. */
  readonly timedOut: boolean
  /** How long it took by the clock, in milliseconds. */
  readonly durationMs: number
}

/** Every event a health object emits, by name. */
export interface HealthEvents {
  /** A check run settled. */
  checkResult: CheckResult
  /** A check's status changed. */
  checkStatusChange: CheckStatusChangeEvent
  /** Readiness changed status. */
  readinessChange: ReadinessChangeEvent
  /** A drain began. */
  drainStart: DrainStartEvent
  /** A drain entered a step. */
  drainPhase: DrainPhaseEvent
  /** A server or closer failed during a drain; later ones still run. */
  closerFailure: CloserFailureEvent
  /** A drain ended. */
  drainEnd: DrainSummary
}

/** Name of a health event. */
export type HealthEventName = keyof HealthEvents

/** A function called with each event of one kind. */
export type HealthListener<K extends HealthEventName> = (event: HealthEvents[K]) => void

/** Every event name, in the order error messages list them. */
export const HEALTH_EVENT_NAMES: ReadonlyArray<HealthEventName> = [
  'checkResult',
  'checkStatusChange',
  'readinessChange',
  'drainStart',
  'drainPhase',
  'closerFailure',
  'drainEnd',
]

import type { BreakerState, StateChangeReason } from './state'

/** Emitted when a circuit changes state. */
export interface StateChangeEvent {
  /** Name of the breaker. */
  readonly name: string
  /** State before the change. */
  readonly from: BreakerState
  /** State after the change. */
  readonly to: BreakerState
  /** Why the state changed. */
  readonly reason: StateChangeReason
  /** Clock time of the change. */
  readonly at: number
}

/**
 * Emitted when a call ends without counting as a failure: it resolved, or it
 * threw an error that `isFailure` does not count.
 */
export interface SuccessEvent {
  /** Name of the breaker. */
  readonly name: string
  /**
   * How long the call took by the breaker's clock. `null` for a call that began
   * before the first `success` or `failure` listener subscribed: calls are
   * timed only while someone listens.
   */
  readonly durationMs: number | null
}

/** Emitted when a call ends with an error that counts as a failure. */
export interface FailureEvent {
  /** Name of the breaker. */
  readonly name: string
  /** The error, exactly as the wrapped function threw it. */
  readonly error: unknown
  /** How long the call took; `null` as in {@link SuccessEvent.durationMs}. */
  readonly durationMs: number | null
}

/** Emitted when a call is rejected with a `CircuitOpenError` without being attempted. */
export interface RejectionEvent {
  /** Name of the breaker. */
  readonly name: string
  /** State that caused the rejection. */
  readonly state: Exclude<BreakerState, 'closed'>
  /** Clock time from which a call may be tried again, or `null` when unknown. */
  readonly nextAttemptAt: number | null
}

/** Every event a breaker emits, by name. */
export interface BreakerEvents {
  /** The circuit changed state. */
  stateChange: StateChangeEvent
  /** A call succeeded (or failed in a way that does not count). */
  success: SuccessEvent
  /** A call failed in a way that counts. */
  failure: FailureEvent
  /** A call was rejected because the circuit is open or its probes are taken. */
  rejection: RejectionEvent
}

/** Name of a breaker event. */
export type BreakerEventName = keyof BreakerEvents

/** A function called with each event of one kind. */
export type BreakerListener<K extends BreakerEventName> = (event: BreakerEvents[K]) => void

/** Every event name, in the order error messages list them. */
export const BREAKER_EVENT_NAMES: ReadonlyArray<BreakerEventName> = [
  'stateChange',
  'success',
  'failure',
  'rejection',
]

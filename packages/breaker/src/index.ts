export { type Breaker, createBreaker } from './breaker'
export type { Clock } from './clock'
export { systemClock } from './clock'
export {
  BreakerError,
  CircuitOpenError,
  type CircuitOpenErrorDetails,
  isCircuitOpenError,
} from './errors'
export type {
  BreakerEventName,
  BreakerEvents,
  BreakerListener,
  FailureEvent,
  RejectionEvent,
  StateChangeEvent,
  SuccessEvent,
} from './events'
export { defaultIsFailure } from './isFailure'
export type { BreakerLogger, BreakerOptions } from './options'
export {
  type BreakerDefaults,
  type BreakerRegistry,
  type BreakerRegistryOptions,
  createBreakerRegistry,
} from './registry'
export type { BreakerSnapshot, BreakerTotals } from './snapshot'
export type { BreakerState, StateChangeReason } from './state'

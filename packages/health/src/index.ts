export type { CheckOutcome, CheckResult, CheckReturn, HealthCheck } from './check'
export { type Clock, systemClock } from './clock'
export type {
  CloserOptions,
  CloserOutcome,
  DrainableServer,
  DrainOptions,
  DrainSummary,
} from './drain'
export {
  CheckTimeoutError,
  CloserTimeoutError,
  HEALTH_CHECK_TIMEOUT,
  HEALTH_CLOSED,
  HEALTH_CLOSER_TIMEOUT,
  HealthClosedError,
  HealthError,
  isCheckTimeoutError,
  isCloserTimeoutError,
  isHealthClosedError,
  isHealthError,
} from './errors'
export { EVENT_LOOP_SAMPLE_MS } from './eventLoop'
export type {
  CheckStatusChangeEvent,
  CloserFailureEvent,
  DrainPhase,
  DrainPhaseEvent,
  DrainStartEvent,
  HealthEventName,
  HealthEvents,
  HealthListener,
  ReadinessChangeEvent,
} from './events'
export {
  type FastifyHealthOptions,
  type FastifyHealthPlugin,
  type FastifyLike,
  type FastifyReplyLike,
  fastifyHealth,
} from './fastify'
export {
  createHealthHandlers,
  type HealthAnswers,
  type HealthHandlers,
  type HealthPaths,
  type HealthResponse,
} from './handlers'
export { createHealth, type Health, type WaitOptions } from './health'
export {
  HEALTH_CONTENT_TYPE,
  type HealthBody,
  type HealthCheckEntry,
  type HealthChecks,
  type HealthReport,
  type ObservedValue,
} from './healthJson'
export type { HealthLogger } from './logger'
export {
  createNodeHandler,
  type NodeHandlerOptions,
  type NodeHealthHandler,
  type RequestEmitter,
  trackNodeRequests,
} from './node'
export type { HealthOptions } from './options'
export type { TrackableResponse } from './requests'
export type { HandleSignalsOptions } from './signals'
export type {
  BreakerSource,
  BreakerStateSnapshot,
  HealthSources,
  StatsSource,
  TimingMemory,
  TimingOperationSnapshot,
  TimingSnapshot,
  TimingSource,
  TimingWindowStats,
} from './sources'
export type { HealthStatus } from './status'

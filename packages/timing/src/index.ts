export type { Clock } from './clock'
export type { TimingLogger } from './emitter'
export { isTimeoutError, TIMEOUT_ERROR_CODE, TimeoutError, TimingError } from './errors'
export { Histogram, type HistogramOptions } from './histogram'
export {
  createRecorder,
  OVERFLOW_OPERATION,
  type Recorder,
  type RecorderEvents,
  type RecordOptions,
  type ViolationEvent,
} from './recorder'
export {
  type BudgetMap,
  DEFAULT_BUDGETS,
  type DefaultBudgetClass,
  type RecorderOptions,
} from './recorderOptions'
export { type ServerTimingEntry, serverTiming } from './serverTiming'
export type {
  LatencyStats,
  MemorySample,
  OperationSnapshot,
  RecorderSnapshot,
} from './snapshot'
export { type DeadlineOptions, MAX_DEADLINE_MS, withDeadline } from './withDeadline'

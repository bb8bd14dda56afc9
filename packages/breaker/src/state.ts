/**
 * The state of a circuit.
 *
 * - `closed`: calls go through; failures are counted in the rolling window.
 * - `open`: calls are rejected at once with a `CircuitOpenError`.
 * - `half-open`: the open period is over; a limited number of probe calls go
 *   through and their outcome closes or reopens the circuit.
 */
export type BreakerState = 'closed' | 'open' | 'half-open'

/**
 * Why a circuit changed state.
 *
 * - `failure-threshold`: closed to open, the window held `failureThreshold`
 *   failures.
 * - `failure-rate`: closed to open, the failure rate reached
 *   `failureRateThreshold`.
 * - `open-elapsed`: open to half-open, the open period is over.
 * - `probe-succeeded`: half-open to closed, every probe succeeded.
 * - `probe-failed`: half-open to open, a probe failed.
 * - `isolated`: to open, `isolate()` was called.
 * - `released`: open to closed, the last isolation was released.
 * - `reset`: to closed, `reset()` was called.
 */
export type StateChangeReason =
  | 'failure-threshold'
  | 'failure-rate'
  | 'open-elapsed'
  | 'probe-succeeded'
  | 'probe-failed'
  | 'isolated'
  | 'released'
  | 'reset'

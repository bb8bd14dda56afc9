import type { ResolvedBreakerOptions } from './options'
import type { StateChangeReason } from './state'
import type { RollingWindow } from './window'

/**
 * Why a closed circuit must open after a failure, or `undefined` while it may stay closed.
 * In count mode it opens once the window holds `failureThreshold` failures; in rate mode,
 * once it holds at least `minimumCalls` calls and the share of failures reaches
 * `failureRateThreshold`.
 */
export function tripReason(
  window: RollingWindow,
  options: ResolvedBreakerOptions,
): StateChangeReason | undefined {
  const { failureThreshold, failureRateThreshold, minimumCalls } = options
  if (failureThreshold !== null) {
    return window.failures >= failureThreshold ? 'failure-threshold' : undefined
  }

  const overRate =
    failureRateThreshold !== null &&
    window.calls >= minimumCalls &&
    window.failures >= failureRateThreshold * window.calls

  return overRate ? 'failure-rate' : undefined
}

/**
 * How long the circuit stays open after its `openings`-th automatic opening in a row, in
 * milliseconds: `openMs`, multiplied by `openMultiplier` for each opening before it, at
 * most `maxOpenMs`.
 */
export function openPeriodMs(options: ResolvedBreakerOptions, openings: number): number {
  const { openMs, openMultiplier, maxOpenMs } = options

  return Math.min(openMs * openMultiplier ** (openings - 1), maxOpenMs)
}

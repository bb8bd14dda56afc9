import type { CheckOutcome, CheckResult, CheckReturn } from './check'
import type { Clock } from './clock'
import { messageOf } from './describe'
import { CheckTimeoutError, HealthClosedError } from './errors'
import { type HealthCheckEntry, isoTime } from './healthJson'
import type { ResolvedCheck } from './options'
import { isHealthStatus } from './status'

/** How a run ended before it is turned into a result. */
type Settled = { readonly value: CheckReturn } | { readonly error: unknown }

/** Called with each result a runner records, and the one it replaced. */
export type ResultListener = (result: CheckResult, previous: CheckResult | undefined) => void

/**
 * Runs one check: one run at a time, each under its timeout, in the
 * background once started. Probes never call it; they read `entry`.
 */
export class CheckRunner {
  readonly check: ResolvedCheck
  /** The last result, `undefined` before the first run settles. */
  result: CheckResult | undefined
  /** The report element of the last result, or of "no result yet". */
  entry: HealthCheckEntry
  /** The same element without `output`, for readiness answers. */
  readinessEntry: HealthCheckEntry

  private readonly clock: Clock
  private readonly onResult: ResultListener
  private flight: Promise<CheckResult> | undefined
  private controller: AbortController | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private background = false
  private closed = false

  constructor(check: ResolvedCheck, clock: Clock, onResult: ResultListener) {
    this.check = check
    this.clock = clock
    this.onResult = onResult
    this.entry = this.pendingEntry()
    this.readinessEntry = withoutOutput(this.entry)
  }

  /** Runs the check, or joins the run already under way. Never rejects. */
  run(): Promise<CheckResult> {
    if (this.flight === undefined) {
      this.flight = this.execute().finally(() => {
        this.flight = undefined
      })
    }

    return this.flight
  }

  /** From now on, each settled run schedules the next one `intervalMs` later. */
  startBackground(): void {
    this.background = true
  }

  /** Stops the timer and aborts a run under way; its result is dropped. */
  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    this.controller?.abort(new HealthClosedError('run a check'))
  }

  private async execute(): Promise<CheckResult> {
    clearTimeout(this.timer)
    const controller = new AbortController()
    this.controller = controller
    const startedAt = this.clock.now()

    const settled = await this.settleWithinTimeout(controller)
    const result = this.toResult(settled, startedAt)
    this.controller = undefined
    if (this.closed) return result

    this.record(result)
    if (this.background) this.schedule()

    return result
  }

  /** Races the check against its timeout; at the timeout the signal aborts. */
  private settleWithinTimeout(controller: AbortController): Promise<Settled> {
    const { timeoutMs, name } = this.check
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<Settled>((resolve) => {
      timer = setTimeout(() => {
        const error = new CheckTimeoutError(name, timeoutMs)
        resolve({ error })
        controller.abort(error)
      }, timeoutMs)
      timer.unref()
    })

    return Promise.race([invoke(this.check.run, controller.signal), timedOut]).finally(() =>
      clearTimeout(timer),
    )
  }

  private toResult(settled: Settled, startedAt: number): CheckResult {
    const time = this.clock.now()
    const durationMs = Math.max(0, time - startedAt)
    const base = { name: this.check.name, critical: this.check.critical, durationMs, time }
    if ('error' in settled) {
      return {
        ...base,
        status: 'fail',
        observedValue: durationMs,
        observedUnit: 'ms',
        output: messageOf(settled.error),
        error: settled.error,
      }
    }

    return { ...base, ...fromReturn(settled.value, durationMs), error: undefined }
  }

  private record(result: CheckResult): void {
    const previous = this.result
    this.result = result
    this.entry = this.entryOf(result)
    this.readinessEntry = withoutOutput(this.entry)
    this.onResult(result, previous)
  }

  private schedule(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.run()
    }, this.check.intervalMs)
    this.timer.unref()
  }

  private entryOf(result: CheckResult): HealthCheckEntry {
    const { componentId, componentType } = this.check
    const { observedValue, observedUnit, status, output } = result
    const time = isoTime(result.time)

    return {
      ...(componentId === undefined ? {} : { componentId }),
      componentType,
      observedValue,
      ...(observedUnit === undefined ? {} : { observedUnit }),
      status,
      ...(time === undefined ? {} : { time }),
      ...(status === 'pass' || output === undefined ? {} : { output }),
    }
  }

  private pendingEntry(): HealthCheckEntry {
    const { componentId, componentType, critical } = this.check
    const status = critical ? 'fail' : 'warn'
    const output = 'no result yet'

    return componentId === undefined
      ? { componentType, status, output }
      : { componentId, componentType, status, output }
  }
}

/** The element without `output`: readiness answers say which check fails, not why. */
function withoutOutput(entry: HealthCheckEntry): HealthCheckEntry {
  const { output: _output, ...rest } = entry
  return rest
}

/** Calls the check so that a synchronous throw becomes a settled error too. */
async function invoke(run: ResolvedCheck['run'], signal: AbortSignal): Promise<Settled> {
  try {
    return { value: await run(signal) }
  } catch (error) {
    return { error }
  }
}

/** Reads what a check returned: nothing or a boolean, or an outcome object. */
function fromReturn(value: CheckReturn, durationMs: number) {
  const byDuration = { observedValue: durationMs, observedUnit: 'ms' as string | undefined }
  if (value === false) {
    return { ...byDuration, status: 'fail' as const, output: 'the check returned false' }
  }
  if (typeof value !== 'object' || value === null) {
    return { ...byDuration, status: 'pass' as const, output: undefined }
  }

  return fromOutcome(value, byDuration)
}

function fromOutcome(
  outcome: CheckOutcome,
  byDuration: { observedValue: number; observedUnit: string | undefined },
) {
  const observed =
    outcome.observedValue === undefined
      ? byDuration
      : { observedValue: outcome.observedValue, observedUnit: outcome.observedUnit }
  const output = typeof outcome.output === 'string' ? outcome.output : undefined
  if (outcome.status === undefined || isHealthStatus(outcome.status)) {
    return { ...observed, status: outcome.status ?? 'pass', output }
  }

  const invalid = `the check returned status ${JSON.stringify(outcome.status)}`
  return { ...observed, status: 'fail' as const, output: invalid }
}

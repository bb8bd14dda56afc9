import type { Breaker } from './breaker'
import {
  type CallOutcome,
  COUNTS_AS_FAILURE,
  COUNTS_AS_NOTHING,
  COUNTS_AS_SUCCESS,
  classify,
} from './classify'
import type { Clock } from './clock'
import { Emitter } from './emitter'
import { CircuitOpenError } from './errors'
import {
  BREAKER_EVENT_NAMES,
  type BreakerEventName,
  type BreakerEvents,
  type BreakerListener,
} from './events'
import { describe, type ResolvedBreakerOptions } from './options'
import type { BreakerSnapshot } from './snapshot'
import type { BreakerState, StateChangeReason } from './state'
import { openPeriodMs, tripReason } from './tripRule'
import { RollingWindow } from './window'

const CLOSED = 0
const OPEN = 1
const HALF_OPEN = 2
type StateCode = typeof CLOSED | typeof OPEN | typeof HALF_OPEN

const STATE_NAMES = ['closed', 'open', 'half-open'] as const

/** What an admitted call that was not a probe remembers instead of a probe generation. */
const NOT_A_PROBE = -1

/**
 * The signal `fn` receives when the caller gives none: it never aborts, and
 * sharing it saves an AbortController per call. An `fn` that adds an `'abort'`
 * listener to it and never removes it keeps that listener alive for the life of
 * the process; well-behaved code removes its listeners when the call ends.
 */
const NEVER_ABORTED: AbortSignal = new AbortController().signal

/** The breaker behind `createBreaker`; the registry builds it from resolved options. */
export class CircuitBreaker implements Breaker {
  readonly name: string

  private readonly options: ResolvedBreakerOptions
  private readonly clock: Clock
  private readonly window: RollingWindow
  private readonly events: Emitter<BreakerEvents>

  private stateCode: StateCode = CLOSED
  /** Bumped by every state change; a probe only counts in the generation it began in. */
  private generation = 0
  private openedAt: number | null = null
  private nextAttemptAt: number | null = null
  /** Automatic openings since the circuit last closed; drives the growing open period. */
  private openings = 0
  private isolations = 0
  /** Bumped by `reset()` so release functions handed out earlier do nothing. */
  private isolationEpoch = 0
  private probesAdmitted = 0
  private probesSucceeded = 0

  private totalSuccesses = 0
  private totalFailures = 0
  private totalRejections = 0

  /** Closed, and no `success` or `failure` listener: calls take the fast path. */
  private untimedClosed = true
  /** Count mode: a closed circuit decides on failures only. */
  private readonly countMode: boolean

  constructor(options: ResolvedBreakerOptions) {
    this.name = options.name
    this.options = options
    this.clock = options.clock
    this.countMode = options.failureThreshold !== null
    this.window = new RollingWindow(options.windowMs, options.bucketCount)
    this.events = new Emitter('breaker', BREAKER_EVENT_NAMES, options.logger)
  }

  get state(): BreakerState {
    if (this.stateCode === OPEN) this.sync(this.clock.now())

    return STATE_NAMES[this.stateCode]
  }

  // The hot path. Closed and with no `success` or `failure` listener, a call
  // costs one `then` on fn's promise with handlers bound once per breaker: no
  // async frame, no clock reading in count mode, no record and no event object.
  // A caller's signal adds one closure, to tell its abort from a failure. Every
  // other call (probes, timed calls) takes `executeTracked`.
  //
  // When fn returns a native promise, the caller gets that very promise and the
  // breaker watches it from the side. Handing back a derived promise instead
  // would add a turn to every call and a rethrow to every failure, which is most
  // of what a breaker costs. The side handler is attached first, so the breaker
  // has counted the outcome before the caller's own handlers run. It never
  // rethrows, so a caller that drops the promise gets no unhandled-rejection
  // warning from Node: await what you execute.
  execute<T>(
    fn: (signal: AbortSignal) => T,
    signal: AbortSignal = NEVER_ABORTED,
  ): Promise<Awaited<T>> {
    const invalid = invalidArguments(fn, signal)
    if (invalid !== undefined) return Promise.reject(invalid)
    if (signal !== NEVER_ABORTED && signal.aborted) return Promise.reject(signal.reason)
    if (!this.untimedClosed) return this.executeTracked(fn, signal)

    let result: T
    try {
      result = fn(signal)
    } catch (error) {
      this.settle(this.classify(error, signal), NOT_A_PROBE, Number.NaN, error)
      return Promise.reject(error)
    }

    const noteFailure =
      signal === NEVER_ABORTED
        ? this.noteUntimedFailure
        : (error: unknown) => this.noteUntimedFailureUnder(error, signal)

    if (result instanceof Promise) {
      result.then(this.succeedUntimed, noteFailure)
      return result as Promise<Awaited<T>>
    }

    return Promise.resolve(result).then(this.succeedUntimed, (error: unknown) => {
      noteFailure(error)
      throw error
    })
  }

  wrap<T>(fn: (signal: AbortSignal) => T): (signal?: AbortSignal) => Promise<Awaited<T>> {
    if (typeof fn !== 'function') {
      throw new TypeError(`breaker.wrap: fn must be a function, received ${describe(fn)}`)
    }

    return (signal) => this.execute(fn, signal)
  }

  isolate(): () => void {
    const now = this.clock.now()
    const epoch = this.isolationEpoch
    this.sync(now)
    this.isolations++
    if (this.stateCode !== OPEN) this.open(now, 'isolated')

    let released = false
    return () => {
      if (released || epoch !== this.isolationEpoch) return
      released = true
      this.isolations--
      if (this.isolations === 0) this.close(this.clock.now(), 'released')
    }
  }

  reset(): void {
    this.isolations = 0
    this.isolationEpoch++
    if (this.stateCode !== CLOSED) this.close(this.clock.now(), 'reset')
    else this.window.clear()
  }

  snapshot(): BreakerSnapshot {
    const now = this.clock.now()
    this.sync(now)
    this.window.advance(now)

    return {
      name: this.name,
      state: STATE_NAMES[this.stateCode],
      isolated: this.isolations > 0,
      failures: this.window.failures,
      calls: this.window.calls,
      totals: {
        successes: this.totalSuccesses,
        failures: this.totalFailures,
        rejections: this.totalRejections,
      },
      openedAt: this.openedAt,
      nextAttemptAt: this.isolations > 0 ? null : this.nextAttemptAt,
    }
  }

  on<K extends BreakerEventName>(event: K, listener: BreakerListener<K>): () => void {
    const unsubscribe = this.events.on(event, listener)
    this.untimedClosed = this.stateCode === CLOSED && !this.isTimed()

    return () => {
      unsubscribe()
      this.untimedClosed = this.stateCode === CLOSED && !this.isTimed()
    }
  }

  /** Ends an untimed call admitted while closed that resolved. */
  private readonly succeedUntimed = <V>(value: V): V => {
    if (this.untimedClosed && this.countMode) {
      this.totalSuccesses++
      this.window.undatedCalls++
    } else {
      this.succeed(NOT_A_PROBE, Number.NaN)
    }
    return value
  }

  /** Ends an untimed call admitted while closed, without a caller signal, that rejected. */
  private readonly noteUntimedFailure = (error: unknown): void =>
    this.noteUntimedFailureUnder(error, NEVER_ABORTED)

  private noteUntimedFailureUnder(error: unknown, signal: AbortSignal): void {
    this.settle(this.classify(error, signal), NOT_A_PROBE, Number.NaN, error)
  }

  /** Runs a probe, a call while open, or a call someone times for an event. */
  private async executeTracked<T>(
    fn: (signal: AbortSignal) => T,
    signal: AbortSignal,
  ): Promise<Awaited<T>> {
    const probe = this.stateCode === CLOSED ? NOT_A_PROBE : this.admit()
    const startedAt = this.isTimed() ? this.clock.now() : Number.NaN
    let value: Awaited<T>
    try {
      value = await fn(signal)
    } catch (error) {
      this.settle(this.classify(error, signal), probe, startedAt, error)
      throw error
    }

    this.succeed(probe, startedAt)
    return value
  }

  /**
   * Admits a call while open or half-open: returns the probe's generation, or
   * throws the `CircuitOpenError` that rejects it.
   */
  private admit(): number {
    const now = this.clock.now()
    this.sync(now)
    // A stateChange listener may have reset the breaker during sync.
    if (this.stateCode === CLOSED) return NOT_A_PROBE

    if (this.stateCode === HALF_OPEN && this.probesAdmitted < this.options.halfOpenProbes) {
      this.probesAdmitted++
      return this.generation
    }

    throw this.reject(now)
  }

  private reject(now: number): CircuitOpenError {
    this.totalRejections++
    const state = this.stateCode === HALF_OPEN ? 'half-open' : 'open'
    const nextAttemptAt = state === 'open' && this.isolations === 0 ? this.nextAttemptAt : null
    if (this.events.lists.rejection.length !== 0) {
      this.events.emit('rejection', { name: this.name, state, nextAttemptAt })
    }

    return new CircuitOpenError({
      breakerName: this.name,
      state,
      nextAttemptAt,
      retryAfterMs: nextAttemptAt === null ? null : Math.max(0, nextAttemptAt - now),
    })
  }

  /** Sorts an error thrown by `fn` by this breaker's `isFailure` (see {@link classify}). */
  private classify(error: unknown, signal: AbortSignal): CallOutcome {
    return classify(error, signal, this.options)
  }

  /**
   * Counts a success. In count mode a closed circuit only decides on failures,
   * so an unwatched success skips the clock (a reading costs as much as the
   * call itself on some hosts) and is dated at the window's next reading
   * instead.
   */
  private succeed(probe: number, startedAt: number): void {
    if (
      probe === NOT_A_PROBE &&
      this.stateCode === CLOSED &&
      this.countMode &&
      Number.isNaN(startedAt) &&
      this.events.lists.success.length === 0
    ) {
      this.totalSuccesses++
      this.window.undatedCalls++
      return
    }

    this.settle(COUNTS_AS_SUCCESS, probe, startedAt, undefined)
  }

  /** Counts a call's outcome, emits its event, then moves the circuit if it must. */
  private settle(outcome: CallOutcome, probe: number, startedAt: number, error: unknown): void {
    if (outcome === COUNTS_AS_NOTHING) {
      if (this.isCurrentProbe(probe)) this.probesAdmitted--
      return
    }

    const now = this.clock.now()
    const durationMs = Number.isNaN(startedAt) ? null : now - startedAt
    const failed = outcome === COUNTS_AS_FAILURE
    if (failed) {
      this.totalFailures++
      if (this.events.lists.failure.length !== 0) {
        this.events.emit('failure', { name: this.name, error, durationMs })
      }
    } else {
      this.totalSuccesses++
      if (this.events.lists.success.length !== 0) {
        this.events.emit('success', { name: this.name, durationMs })
      }
    }

    if (probe === NOT_A_PROBE) {
      // Calls that end while the circuit is not closed were admitted before it
      // opened; only probes may move an open or half-open circuit.
      if (this.stateCode === CLOSED) this.record(now, failed)
    } else if (this.isCurrentProbe(probe)) {
      this.settleProbe(now, failed)
    }
  }

  private record(now: number, failed: boolean): void {
    this.window.record(now, failed)
    if (!failed) return

    const reason = tripReason(this.window, this.options)
    if (reason !== undefined) this.open(now, reason)
  }

  private settleProbe(now: number, failed: boolean): void {
    if (failed) {
      this.open(now, 'probe-failed')
      return
    }

    this.probesSucceeded++
    if (this.probesSucceeded >= this.options.halfOpenProbes) this.close(now, 'probe-succeeded')
  }

  private isCurrentProbe(probe: number): boolean {
    return probe === this.generation && this.stateCode === HALF_OPEN
  }

  private isTimed(): boolean {
    return this.events.lists.success.length !== 0 || this.events.lists.failure.length !== 0
  }

  /** Turns an open circuit half-open once its open period is over, unless isolated. */
  private sync(now: number): void {
    if (
      this.stateCode === OPEN &&
      this.isolations === 0 &&
      this.nextAttemptAt !== null &&
      now >= this.nextAttemptAt
    ) {
      this.transition(HALF_OPEN, 'open-elapsed', now)
    }
  }

  private open(now: number, reason: StateChangeReason): void {
    if (reason === 'isolated') {
      this.nextAttemptAt = null
    } else {
      this.openings++
      this.nextAttemptAt = now + openPeriodMs(this.options, this.openings)
    }

    this.openedAt = now
    this.transition(OPEN, reason, now)
  }

  private close(now: number, reason: StateChangeReason): void {
    this.window.clear()
    this.openings = 0
    this.openedAt = null
    this.nextAttemptAt = null
    this.transition(CLOSED, reason, now)
  }

  private transition(to: StateCode, reason: StateChangeReason, at: number): void {
    const from = this.stateCode
    this.stateCode = to
    this.untimedClosed = to === CLOSED && !this.isTimed()
    this.generation++
    this.probesAdmitted = 0
    this.probesSucceeded = 0

    if (this.events.lists.stateChange.length !== 0) {
      const event = { name: this.name, from: STATE_NAMES[from], to: STATE_NAMES[to], reason, at }
      this.events.emit('stateChange', event)
    }
  }
}

/** The `TypeError` `execute` rejects with for a bad `fn` or `signal`, or `undefined`. */
function invalidArguments(fn: unknown, signal: unknown): TypeError | undefined {
  if (typeof fn !== 'function') {
    return new TypeError(`breaker.execute: fn must be a function, received ${describe(fn)}`)
  }
  if (signal !== NEVER_ABORTED && (typeof signal !== 'object' || signal === null)) {
    return new TypeError(
      `breaker.execute: signal must be an AbortSignal, received ${describe(signal)}`,
    )
  }

  return undefined
}

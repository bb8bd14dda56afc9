import { type BreakerState, createBreaker, isCircuitOpenError } from '@ballast/breaker'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { boom, type Deferred, deferred, fakeClock } from './support'

/** The trip rule: count mode or rate mode. */
type TripRule =
  | { readonly kind: 'count'; readonly failureThreshold: number }
  | {
      readonly kind: 'rate'
      readonly failureRateThreshold: number
      readonly minimumCalls: number
    }

interface Config {
  readonly rule: TripRule
  readonly bucketCount: number
  readonly bucketMs: number
  readonly openMs: number
  readonly openMultiplier: number
  readonly maxOpenMs: number
  readonly halfOpenProbes: number
  /** Whether a `success` listener makes every call take the timed path. */
  readonly timed: boolean
}

type Command =
  | { readonly kind: 'succeed' }
  | { readonly kind: 'fail' }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'slow'; readonly ms: number; readonly timesOut: boolean }
  | { readonly kind: 'start'; readonly count: number }
  | { readonly kind: 'finish'; readonly index: number; readonly ok: boolean }
  | { readonly kind: 'abort'; readonly index: number }
  /** `look: false` moves the clock without reading the state, so transitions stay lazy. */
  | { readonly kind: 'advance'; readonly ms: number; readonly look: boolean }
  | { readonly kind: 'isolate' }
  | { readonly kind: 'release'; readonly index: number }
  | { readonly kind: 'reset' }

type Outcome = 'success' | 'failure' | 'ignored'

/** A call outcome as the window keeps it: the clock bucket it ended in. */
interface Recorded {
  readonly bucket: number
  readonly failed: boolean
}

/**
 * The spec as plain code: every call the window counts is kept in a list with
 * the clock bucket it ended in, and a bucket leaves the window once
 * `bucketCount` newer ones began. Only the ends of calls admitted while closed
 * are counted; only probes of the current half-open stretch move the circuit.
 */
class Model {
  state: BreakerState = 'closed'
  generation = 0
  openedAt: number | null = null
  nextAttemptAt: number | null = null
  openings = 0
  isolations = 0
  isolationEpoch = 0
  recorded: Recorded[] = []
  probesAdmitted = 0
  probesSucceeded = 0

  constructor(
    private readonly config: Config,
    private readonly now: () => number,
  ) {}

  effectiveState(): BreakerState {
    const elapsed = this.nextAttemptAt !== null && this.now() >= this.nextAttemptAt
    if (this.state === 'open' && this.isolations === 0 && elapsed) this.moveTo('half-open')
    return this.state
  }

  /** Returns `false` for a rejected call, `null` for a closed call, or the probe's stretch. */
  admit(): false | null | number {
    const state = this.effectiveState()
    if (state === 'closed') return null
    if (state === 'open' || this.probesAdmitted === this.config.halfOpenProbes) return false

    this.probesAdmitted++
    return this.generation
  }

  finish(probe: null | number, outcome: Outcome): void {
    const currentProbe = probe === this.generation && this.state === 'half-open'
    if (outcome === 'ignored') {
      if (currentProbe) this.probesAdmitted--
      return
    }

    const failed = outcome === 'failure'
    if (probe === null) {
      if (this.state !== 'closed') return
      this.recorded.push({ bucket: this.bucket(), failed })
      if (failed && this.trips()) this.open()
    } else if (currentProbe) {
      if (failed) {
        this.open()
        return
      }
      this.probesSucceeded++
      if (this.probesSucceeded === this.config.halfOpenProbes) this.close()
    }
  }

  /** Returns the isolation epoch, which a later release must match. */
  isolate(): number {
    this.effectiveState()
    this.isolations++
    if (this.state !== 'open') {
      this.openedAt = this.now()
      this.nextAttemptAt = null
      this.moveTo('open')
    }
    return this.isolationEpoch
  }

  release(epoch: number): void {
    if (epoch !== this.isolationEpoch) return
    this.isolations--
    if (this.isolations === 0) this.close()
  }

  reset(): void {
    this.isolations = 0
    this.isolationEpoch++
    if (this.state === 'closed') this.recorded = []
    else this.close()
  }

  windowCalls(): Recorded[] {
    const oldest = this.bucket() - this.config.bucketCount + 1
    return this.recorded.filter((call) => call.bucket >= oldest)
  }

  windowFailures(): number {
    return this.windowCalls().filter((call) => call.failed).length
  }

  private trips(): boolean {
    const { rule } = this.config
    const failures = this.windowFailures()
    if (rule.kind === 'count') return failures >= rule.failureThreshold

    const calls = this.windowCalls().length
    return calls >= rule.minimumCalls && failures >= rule.failureRateThreshold * calls
  }

  private bucket(): number {
    return Math.floor(this.now() / this.config.bucketMs)
  }

  private open(): void {
    this.openings++
    const { openMs, openMultiplier, maxOpenMs } = this.config
    this.openedAt = this.now()
    this.nextAttemptAt =
      this.now() + Math.min(openMs * openMultiplier ** (this.openings - 1), maxOpenMs)
    this.moveTo('open')
  }

  private close(): void {
    this.recorded = []
    this.openings = 0
    this.openedAt = null
    this.nextAttemptAt = null
    this.moveTo('closed')
  }

  private moveTo(state: BreakerState): void {
    this.state = state
    this.generation++
    this.probesAdmitted = 0
    this.probesSucceeded = 0
  }
}

interface PendingCall {
  readonly probe: null | number
  readonly result: Deferred<string>
  readonly controller: AbortController
  readonly promise: Promise<unknown>
  /** Stretch of half-open the call began in, or -1 if it began in another state. */
  readonly halfOpenStretch: number
  settled: boolean
}

const tripRuleArbitrary: fc.Arbitrary<TripRule> = fc.oneof(
  fc.record({
    kind: fc.constant('count' as const),
    failureThreshold: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    kind: fc.constant('rate' as const),
    failureRateThreshold: fc.constantFrom(0.25, 0.5, 0.75, 1),
    minimumCalls: fc.integer({ min: 1, max: 5 }),
  }),
)

const configArbitrary: fc.Arbitrary<Config> = fc
  .record({
    rule: tripRuleArbitrary,
    bucketCount: fc.integer({ min: 1, max: 5 }),
    bucketMs: fc.integer({ min: 1, max: 50 }),
    openMs: fc.integer({ min: 1, max: 200 }),
    openMultiplier: fc.constantFrom(1, 1.5, 2),
    maxOpenFactor: fc.integer({ min: 1, max: 4 }),
    halfOpenProbes: fc.integer({ min: 1, max: 3 }),
    timed: fc.boolean(),
  })
  .map(({ maxOpenFactor, ...config }) => ({ ...config, maxOpenMs: config.openMs * maxOpenFactor }))

const index = fc.nat({ max: 3 })

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'succeed' } as const) },
  { weight: 4, arbitrary: fc.constant({ kind: 'fail' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'notFound' } as const) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('slow' as const),
      ms: fc.integer({ min: 1, max: 300 }),
      timesOut: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('finish' as const), index, ok: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), index }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 300 }),
      look: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'isolate' } as const) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), index }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' } as const) },
)

/** What a deadline inside the breaker rejects with; recognised by its code. */
function timeoutError(): Error {
  return Object.assign(new Error('deadline passed'), { code: 'BALLAST_TIMEOUT' })
}

const notFound = Object.assign(new Error('no such row'), { status: 404 })

async function run(config: Config, commands: readonly Command[]): Promise<void> {
  const clock = fakeClock(0)
  const { rule, timed, ...shared } = config
  const breaker = createBreaker({
    name: 'model',
    // Only `boom` counts, so a timeout counts by its code alone.
    isFailure: (error) => error === boom,
    windowMs: config.bucketMs * config.bucketCount,
    clock,
    ...shared,
    ...(rule.kind === 'count'
      ? { failureThreshold: rule.failureThreshold }
      : { failureRateThreshold: rule.failureRateThreshold, minimumCalls: rule.minimumCalls }),
  })
  if (timed) breaker.on('success', () => undefined)
  const model = new Model(config, () => clock.now())
  const pending: PendingCall[] = []
  const releases: Array<{ readonly release: () => void; readonly epoch: number; done: boolean }> =
    []
  let observedState: BreakerState = 'closed'
  let halfOpenStretch = 0
  breaker.on('stateChange', (event) => {
    observedState = event.to
    halfOpenStretch++
  })

  /**
   * Starts one call; returns its pending record, or null if the breaker
   * rejected it. `body` runs inside fn and decides how the call ends.
   */
  function start(body?: (result: Deferred<string>) => void): PendingCall | null {
    const admission = model.admit()
    const result = deferred<string>()
    const controller = new AbortController()
    let called = false
    let stretch = -1
    const promise = breaker.execute((signal) => {
      called = true
      stretch = observedState === 'half-open' ? halfOpenStretch : -1
      signal.addEventListener('abort', () => result.reject(signal.reason), { once: true })
      body?.(result)
      return result.promise
    }, controller.signal)
    promise.catch(() => undefined)

    // An open breaker never calls fn, and calls it whenever the model admits
    // the call.
    expect(called).toBe(admission !== false)
    if (admission === false) {
      void promise.catch((error) => expect(isCircuitOpenError(error)).toBe(true))
      return null
    }

    const call = { probe: admission, result, controller, promise, halfOpenStretch: stretch }
    return { ...call, settled: false }
  }

  async function settle(call: PendingCall, outcome: Outcome): Promise<void> {
    call.settled = true
    await call.promise.catch(() => undefined)
    model.finish(call.probe, outcome)
  }

  /** Runs one call to its end inside the step. */
  async function complete(outcome: Outcome, body: (result: Deferred<string>) => void) {
    const call = start(body)
    if (call !== null) await settle(call, outcome)
  }

  for (const command of commands) {
    switch (command.kind) {
      case 'succeed':
        await complete('success', (result) => result.resolve('ok'))
        break
      case 'fail':
        await complete('failure', (result) => result.reject(boom))
        break
      case 'notFound':
        // isFailure rejects it: the dependency answered, a success.
        await complete('success', (result) => result.reject(notFound))
        break
      case 'slow':
        // The clock moves while the call runs; a timeout always counts.
        await complete(command.timesOut ? 'failure' : 'success', (result) => {
          clock.advance(command.ms)
          if (command.timesOut) result.reject(timeoutError())
          else result.resolve('late')
        })
        break
      case 'start':
        for (let i = 0; i < command.count; i++) {
          const call = start()
          if (call !== null) pending.push(call)
        }
        break
      case 'finish':
      case 'abort': {
        // Count from the newest call, so the probes of the current half-open
        // stretch are picked often enough to catch stale-probe bugs.
        const open = pending.filter((call) => !call.settled)
        const call = open[open.length - 1 - (command.index % Math.max(open.length, 1))]
        if (call === undefined) break
        if (command.kind === 'abort') {
          call.controller.abort()
          await settle(call, 'ignored')
        } else if (command.ok) {
          call.result.resolve('ok')
          await settle(call, 'success')
        } else {
          call.result.reject(boom)
          await settle(call, 'failure')
        }
        break
      }
      case 'advance':
        clock.advance(command.ms)
        if (!command.look) continue
        break
      case 'isolate':
        releases.push({ release: breaker.isolate(), epoch: model.isolate(), done: false })
        break
      case 'release': {
        const entry = releases[releases.length - 1 - (command.index % Math.max(releases.length, 1))]
        if (entry === undefined) break
        entry.release()
        if (!entry.done) model.release(entry.epoch)
        entry.done = true
        break
      }
      case 'reset':
        breaker.reset()
        model.reset()
        break
    }

    const state = model.effectiveState()
    const snapshot = breaker.snapshot()
    expect(breaker.state).toBe(state)
    expect(snapshot).toMatchObject({
      state,
      isolated: model.isolations > 0,
      failures: model.windowFailures(),
      openedAt: model.openedAt,
      nextAttemptAt: model.isolations > 0 ? null : model.nextAttemptAt,
    })
    // Count mode dates unwatched successes lazily, so only rate mode (or a
    // timed breaker) knows the exact number of calls in the window.
    if (rule.kind === 'rate' || timed) expect(snapshot.calls).toBe(model.windowCalls().length)

    const probesInFlight = pending.filter(
      (call) =>
        !call.settled && observedState === 'half-open' && call.halfOpenStretch === halfOpenStretch,
    ).length
    expect(probesInFlight).toBeLessThanOrEqual(config.halfOpenProbes)
  }
}

describe('createBreaker against a model of the spec', () => {
  it('agrees with the model after every step of random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        configArbitrary,
        fc.array(commandArbitrary, { maxLength: 60, size: 'max' }),
        run,
      ),
      { numRuns: 1_000 },
    )
  })
})

import { type BreakerState, createBreaker, isCircuitOpenError } from '@ballast/breaker'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { boom, type Deferred, deferred, fakeClock } from './support'

interface Config {
  readonly failureThreshold: number
  readonly bucketCount: number
  readonly bucketMs: number
  readonly openMs: number
  readonly openMultiplier: number
  readonly maxOpenMs: number
  readonly halfOpenProbes: number
}

type Command =
  | { readonly kind: 'succeed' }
  | { readonly kind: 'fail' }
  | { readonly kind: 'start'; readonly count: number }
  | { readonly kind: 'finish'; readonly index: number; readonly ok: boolean }
  | { readonly kind: 'abort'; readonly index: number }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'reset' }

type Outcome = 'success' | 'failure' | 'ignored'

/**
 * The spec as plain code, in count mode: failures are kept as a list of the
 * clock buckets they fell in, and a bucket leaves the window once `bucketCount`
 * newer ones began.
 */
class Model {
  state: BreakerState = 'closed'
  generation = 0
  nextAttemptAt = 0
  openings = 0
  failureBuckets: number[] = []
  probesAdmitted = 0
  probesSucceeded = 0

  constructor(
    private readonly config: Config,
    private readonly now: () => number,
  ) {}

  effectiveState(): BreakerState {
    if (this.state === 'open' && this.now() >= this.nextAttemptAt) this.moveTo('half-open')
    return this.state
  }

  /** Returns `false` for a rejected call, `null` for a closed call, or the probe's period. */
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

    if (probe === null) {
      if (this.state !== 'closed' || outcome === 'success') return
      this.failureBuckets.push(this.bucket())
      if (this.windowFailures() >= this.config.failureThreshold) this.open()
    } else if (currentProbe) {
      if (outcome === 'failure') {
        this.open()
        return
      }
      this.probesSucceeded++
      if (this.probesSucceeded === this.config.halfOpenProbes) this.close()
    }
  }

  reset(): void {
    if (this.state === 'closed') this.failureBuckets = []
    else this.close()
  }

  windowFailures(): number {
    const oldest = this.bucket() - this.config.bucketCount + 1
    return this.failureBuckets.filter((bucket) => bucket >= oldest).length
  }

  probesInFlightLimit(): number {
    return this.config.halfOpenProbes
  }

  private bucket(): number {
    return Math.floor(this.now() / this.config.bucketMs)
  }

  private open(): void {
    this.openings++
    const { openMs, openMultiplier, maxOpenMs } = this.config
    this.nextAttemptAt =
      this.now() + Math.min(openMs * openMultiplier ** (this.openings - 1), maxOpenMs)
    this.moveTo('open')
  }

  private close(): void {
    this.failureBuckets = []
    this.openings = 0
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

const configArbitrary: fc.Arbitrary<Config> = fc
  .record({
    failureThreshold: fc.integer({ min: 1, max: 4 }),
    bucketCount: fc.integer({ min: 1, max: 5 }),
    bucketMs: fc.integer({ min: 1, max: 50 }),
    openMs: fc.integer({ min: 1, max: 200 }),
    openMultiplier: fc.constantFrom(1, 1.5, 2),
    maxOpenFactor: fc.integer({ min: 1, max: 4 }),
    halfOpenProbes: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ maxOpenFactor, ...config }) => ({ ...config, maxOpenMs: config.openMs * maxOpenFactor }))

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'succeed' } as const) },
  { weight: 4, arbitrary: fc.constant({ kind: 'fail' } as const) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('finish' as const),
      index: fc.nat({ max: 3 }),
      ok: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('abort' as const), index: fc.nat({ max: 3 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 300 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' } as const) },
)

async function run(config: Config, commands: readonly Command[]): Promise<void> {
  const clock = fakeClock(0)
  const breaker = createBreaker({
    name: 'model',
    windowMs: config.bucketMs * config.bucketCount,
    clock,
    ...config,
  })
  const model = new Model(config, () => clock.now())
  const pending: PendingCall[] = []
  let observedState: BreakerState = 'closed'
  let halfOpenStretch = 0
  breaker.on('stateChange', (event) => {
    observedState = event.to
    halfOpenStretch++
  })

  /** Starts one call; returns its pending record, or null if the breaker rejected it. */
  function start(settle?: Outcome): PendingCall | null {
    const admission = model.admit()
    const result = deferred<string>()
    const controller = new AbortController()
    let called = false
    let stretch = -1
    const promise = breaker.execute((signal) => {
      called = true
      stretch = observedState === 'half-open' ? halfOpenStretch : -1
      signal.addEventListener('abort', () => result.reject(signal.reason), { once: true })
      if (settle === 'success') result.resolve('ok')
      if (settle === 'failure') result.reject(boom)
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

  for (const command of commands) {
    switch (command.kind) {
      case 'succeed':
      case 'fail': {
        const outcome = command.kind === 'succeed' ? 'success' : 'failure'
        const call = start(outcome)
        if (call !== null) await settle(call, outcome)
        break
      }
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
        break
      case 'reset':
        breaker.reset()
        model.reset()
        break
    }

    expect(breaker.state).toBe(model.effectiveState())
    expect(breaker.snapshot().failures).toBe(model.windowFailures())
    const probesInFlight = pending.filter(
      (call) =>
        !call.settled && observedState === 'half-open' && call.halfOpenStretch === halfOpenStretch,
    ).length
    expect(probesInFlight).toBeLessThanOrEqual(model.probesInFlightLimit())
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
      { numRuns: 500 },
    )
  })
})

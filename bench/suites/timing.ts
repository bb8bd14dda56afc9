import { createBreaker } from '@ballast/breaker'
import { createRecorder, Histogram, withDeadline } from '@ballast/timing'
import { ConsecutiveBreaker, circuitBreaker, handleAll, TimeoutStrategy, timeout } from 'cockatiel'
import CircuitBreaker from 'opossum'
import type { Suite } from '../harness'

const OPS = 1000
const DEADLINE_MS = 5000

/** The timed operation: as cheap as an async function gets, so the overhead shows. */
const work = async (): Promise<number> => 42

/** The same work written to receive a signal, which makes a deadline create one. */
const workWithSignal = async (_signal: AbortSignal): Promise<number> => 42

/** Suite 5: a call that succeeds well within a 5 s deadline, its duration recorded. */
export async function deadlineSuite(): Promise<Suite> {
  const histogram = new Histogram()
  const recorder = createRecorder({ hardLimitMs: DEADLINE_MS })
  const cockatiel = timeout(DEADLINE_MS, TimeoutStrategy.Cooperative)
  const opossum = new CircuitBreaker(work, {
    timeout: DEADLINE_MS,
    resetTimeout: 30_000,
    errorThresholdPercentage: 100,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  })

  return {
    name: 'Deadline and timing',
    operation: 'one awaited call of `async () => 42` under a 5 s deadline, 1,000 in a row',
    baseline: 'await fn()',
    opsPerBatch: OPS,
    contenders: [
      {
        name: 'await fn()',
        includes: 'the call and its `await`, no deadline, nothing recorded',
        run: async () => {
          for (let i = 0; i < OPS; i++) await work()
        },
      },
      {
        name: '@ballast/timing withDeadline + histogram.record',
        includes: 'timer set and cleared, no signal (fn takes none), two clock reads, record',
        run: async () => {
          for (let i = 0; i < OPS; i++) {
            const start = performance.now()
            await withDeadline(work, DEADLINE_MS)
            histogram.record(performance.now() - start)
          }
        },
      },
      {
        name: '@ballast/timing withDeadline, fn takes a signal',
        includes: 'as above plus an AbortController for the signal, nothing recorded',
        run: async () => {
          for (let i = 0; i < OPS; i++) await withDeadline(workWithSignal, DEADLINE_MS)
        },
      },
      {
        name: '@ballast/timing recorder.time',
        includes: 'withDeadline, budget check, rolling and all-time histograms',
        run: async () => {
          for (let i = 0; i < OPS; i++) await recorder.time('read', 'bench', work)
        },
      },
      {
        name: 'cockatiel timeout (Cooperative)',
        includes: 'AbortController per call, listener on it, aborted on return (default)',
        run: async () => {
          for (let i = 0; i < OPS; i++) await cockatiel.execute(work)
        },
      },
      {
        name: 'opossum fire, timeout 5 s',
        includes: 'timer set and cleared, a breaker that never opens, rolling counts',
        run: async () => {
          for (let i = 0; i < OPS; i++) await opossum.fire()
        },
      },
    ],
    remarks: [
      "cockatiel's timeout records nothing; ours and opossum record each call's " + 'duration.',
    ],
    teardown: () => opossum.shutdown(),
  }
}

/**
 * Suite 5b: the same wrappers around a dependency that answers on the next event-loop turn,
 * the least a real network or database call takes, to show their cost in proportion.
 */
export async function turnAwaySuite(): Promise<Suite> {
  const ops = 100
  const dependency = () => new Promise<number>((resolve) => setImmediate(resolve, 42))
  const histogram = new Histogram()
  const breaker = createBreaker({ name: 'bench', failureThreshold: 5, openMs: 30_000 })
  const cockatielBreaker = circuitBreaker(handleAll, {
    halfOpenAfter: 30_000,
    breaker: new ConsecutiveBreaker(5),
  })
  const cockatielTimeout = timeout(DEADLINE_MS, TimeoutStrategy.Cooperative)
  const opossum = new CircuitBreaker(dependency, {
    timeout: DEADLINE_MS,
    resetTimeout: 30_000,
    errorThresholdPercentage: 100,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  })
  const loop = (call: () => Promise<unknown>) => async () => {
    for (let i = 0; i < ops; i++) await call()
  }

  return {
    name: 'Breaker and deadline, dependency a turn away',
    operation: 'one awaited call that resolves on the next turn (`setImmediate`), 100 in a row',
    baseline: 'await fn()',
    opsPerBatch: ops,
    contenders: [
      { name: 'await fn()', includes: 'the call and its `await`', run: loop(dependency) },
      {
        name: '@ballast/breaker execute',
        includes: 'as in the breaker suites',
        run: loop(() => breaker.execute(dependency)),
      },
      {
        name: '@ballast/timing withDeadline + histogram.record',
        includes: 'as in the deadline suite',
        run: loop(async () => {
          const start = performance.now()
          await withDeadline(dependency, DEADLINE_MS)
          histogram.record(performance.now() - start)
        }),
      },
      {
        name: 'cockatiel circuitBreaker',
        includes: 'ConsecutiveBreaker(5)',
        run: loop(() => cockatielBreaker.execute(dependency)),
      },
      {
        name: 'cockatiel timeout (Cooperative)',
        includes: '5 s',
        run: loop(() => cockatielTimeout.execute(dependency)),
      },
      {
        name: 'opossum fire, timeout 5 s',
        includes: 'a breaker that never opens',
        run: loop(() => opossum.fire()),
      },
    ],
    remarks: [
      'A real dependency call takes far longer than a turn: these ratios are the most' +
        ' any of these wrappers can add.',
    ],
    teardown: () => opossum.shutdown(),
  }
}

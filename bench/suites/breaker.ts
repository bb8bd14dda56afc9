import { createBreaker } from '@ballast/breaker'
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel'
import CircuitBreaker from 'opossum'
import type { Suite } from '../harness'

const OPS = 1000

/** The guarded operation: as cheap as an async function gets, so the overhead shows. */
const succeed = async (): Promise<number> => 42

/** One error, thrown again and again: building a new Error costs microseconds of its own. */
const failure = new Error('dependency failed')
const fail = async (): Promise<number> => {
  throw failure
}

/**
 * Suite 4a: a call that succeeds, through each breaker, closed. Every breaker is configured
 * alike: five failures open it, and it would try again after 30 s.
 */
export async function breakerSuccessSuite(): Promise<Suite> {
  const ours = createBreaker({ name: 'bench', failureThreshold: 5, openMs: 30_000 })
  const cockatiel = circuitBreaker(handleAll, {
    halfOpenAfter: 30_000,
    breaker: new ConsecutiveBreaker(5),
  })
  const opossum = new CircuitBreaker(succeed, {
    timeout: false,
    resetTimeout: 30_000,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  })

  return {
    name: 'Breaker, success path',
    operation: 'one awaited call of `async () => 42`, 1,000 in a row',
    baseline: 'await fn()',
    opsPerBatch: OPS,
    contenders: [
      {
        name: 'await fn()',
        includes: 'the call and its `await`, nothing else',
        run: async () => {
          for (let i = 0; i < OPS; i++) await succeed()
        },
      },
      {
        name: '@ballast/breaker execute',
        includes: 'closed check, rolling-window count (5 failures in 60 s open it)',
        run: async () => {
          for (let i = 0; i < OPS; i++) await ours.execute(succeed)
        },
        note: () => `ended ${ours.state}`,
      },
      {
        name: 'cockatiel circuitBreaker',
        includes: 'ConsecutiveBreaker(5), `handleAll`, no listeners',
        run: async () => {
          for (let i = 0; i < OPS; i++) await cockatiel.execute(succeed)
        },
        note: () => `ended ${CircuitState[cockatiel.state]}`,
      },
      {
        name: 'opossum fire',
        includes: 'timeout off, rolling counts (percentiles off), events',
        run: async () => {
          for (let i = 0; i < OPS; i++) await opossum.fire()
        },
        note: () => `ended ${opossum.closed ? 'closed' : 'open'}`,
      },
    ],
    remarks: ['opossum 9 and cockatiel 3 (see docs/performance.md for the versions).'],
    teardown: () => opossum.shutdown(),
  }
}

/**
 * Suite 4b: every other call fails. No breaker may open, or it would answer from its open
 * state (far cheaper) and the comparison would mean nothing: cockatiel counts consecutive
 * failures, which never exceed one here; ours counts failures in its window, so its
 * threshold is set out of reach; opossum opens above a failure percentage, set to 100.
 */
export async function breakerHalfFailingSuite(): Promise<Suite> {
  const ours = createBreaker({
    name: 'bench',
    failureThreshold: Number.MAX_SAFE_INTEGER,
    openMs: 30_000,
  })
  const cockatiel = circuitBreaker(handleAll, {
    halfOpenAfter: 30_000,
    breaker: new ConsecutiveBreaker(5),
  })
  const halfFailing = (i: number) => (i & 1 ? fail() : succeed())
  const opossum = new CircuitBreaker(halfFailing, {
    timeout: false,
    resetTimeout: 30_000,
    errorThresholdPercentage: 100,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  })

  return {
    name: 'Breaker, half the calls failing',
    operation: 'one awaited call that alternately resolves and rejects, 1,000 in a row',
    baseline: 'await fn()',
    opsPerBatch: OPS,
    contenders: [
      {
        name: 'await fn()',
        includes: 'the call, its `await` and a `catch`',
        run: async () => {
          for (let i = 0; i < OPS; i++) {
            try {
              await (i & 1 ? fail() : succeed())
            } catch {}
          }
        },
      },
      {
        name: '@ballast/breaker execute',
        includes: 'failure classification and window count; threshold out of reach',
        run: async () => {
          for (let i = 0; i < OPS; i++) {
            try {
              await ours.execute(i & 1 ? fail : succeed)
            } catch {}
          }
        },
        note: () => `ended ${ours.state}`,
      },
      {
        name: 'cockatiel circuitBreaker',
        includes: 'ConsecutiveBreaker(5): never 2 failures in a row',
        run: async () => {
          for (let i = 0; i < OPS; i++) {
            try {
              await cockatiel.execute(i & 1 ? fail : succeed)
            } catch {}
          }
        },
        note: () => `ended ${CircuitState[cockatiel.state]}`,
      },
      {
        name: 'opossum fire',
        includes: 'errorThresholdPercentage 100, percentiles off, timeout off',
        run: async () => {
          for (let i = 0; i < OPS; i++) {
            try {
              await opossum.fire(i)
            } catch {}
          }
        },
        note: () => `ended ${opossum.closed ? 'closed' : 'open'}`,
      },
    ],
    remarks: [
      'No breaker opened during the run: the note column shows the state each one ended in.',
      'opossum with rolling percentiles on (its default) sorts every latency in its window on ' +
        'each failure, so its failure cost grows with traffic; they are off here.',
    ],
    teardown: () => opossum.shutdown(),
  }
}

import {
  createRecorder,
  type DefaultBudgetClass,
  type RecorderSnapshot,
  type ViolationEvent,
  withDeadline,
} from '@ballast/timing'
import { describe, expectTypeOf, it } from 'vitest'

// These tests are checked by `tsc`; at run time they only make sure the calls work.
describe('types', () => {
  it("returns fn's type from time(), sync or async", async () => {
    const recorder = createRecorder()

    const asyncValue = recorder.time('read', 'list', async () => [1, 2])
    const syncValue = recorder.time('write', 'save', () => 'saved' as const)
    const withSignal = recorder.time('read', 'get', (signal) => signal.aborted)

    expectTypeOf(asyncValue).toEqualTypeOf<Promise<number[]>>()
    expectTypeOf(syncValue).toEqualTypeOf<Promise<'saved'>>()
    expectTypeOf(withSignal).toEqualTypeOf<Promise<boolean>>()
    await Promise.all([asyncValue, syncValue, withSignal])
  })

  it("returns fn's type from withDeadline()", async () => {
    const value = withDeadline(async (signal) => ({ aborted: signal.aborted }), 100)

    expectTypeOf(value).toEqualTypeOf<Promise<{ aborted: boolean }>>()
    await value
  })

  it('knows the default classes and the classes added by budgets', async () => {
    const plain = createRecorder()
    const extended = createRecorder({ budgets: { search: 800, read: 150 } })

    expectTypeOf(plain.budgets).toEqualTypeOf<Readonly<Record<DefaultBudgetClass, number>>>()
    expectTypeOf(extended.time<number>)
      .parameter(0)
      .toEqualTypeOf<'search' | 'read' | DefaultBudgetClass>()
    expectTypeOf(extended.snapshot()).toEqualTypeOf<
      RecorderSnapshot<'search' | 'read' | DefaultBudgetClass>
    >()
    extended.on('violation', (event) => {
      expectTypeOf(event).toEqualTypeOf<ViolationEvent<'search' | 'read' | DefaultBudgetClass>>()
    })

    await extended.time('search', 'find', async () => 1)
    // @ts-expect-error: 'search' is not a class of a recorder without that budget
    await plain.time('search', 'find', async () => 1).catch(() => {})
    // @ts-expect-error: durations are numbers
    expectTypeOf(() => plain.record('read', 'x', '12')).toBeFunction()
    // @ts-expect-error: a budget must be a number
    expectTypeOf(() => createRecorder({ budgets: { search: '800' } })).toBeFunction()
  })
})

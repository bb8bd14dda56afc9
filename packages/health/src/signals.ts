import { describe } from './describe'
import type { DrainOptions, DrainSummary } from './drain'

/** Options of `health.handleSignals`. */
export interface HandleSignalsOptions {
  /**
   * Options of the drain a signal starts; its `reason` is the signal's name.
   * @default {} (the health object's readinessDelayMs and graceMs)
   */
  readonly drain?: Omit<DrainOptions, 'reason' | 'signal'>
  /**
   * Called once the drain has ended and the signal listeners are removed. The
   * default raises the signal again, so the process ends the way the signal
   * asks (exit status 128 + signal number) even if something still holds the
   * event loop. Pass your own to flush logs first, or to exit with a code.
   * @default re-raise the signal with process.kill(process.pid, signal)
   */
  readonly onDrained?: (summary: DrainSummary, signal: NodeJS.Signals) => void
}

/** What the signal listener needs from the health object. */
export interface SignalTarget {
  drain(options: DrainOptions): Promise<DrainSummary>
}

const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']

/**
 * Listens for `signals` on `process`: the first starts a drain, later ones
 * abort its waits. Returns the function that removes the listeners.
 */
export function listenForSignals(
  target: SignalTarget,
  signals: readonly NodeJS.Signals[] = DEFAULT_SIGNALS,
  options: HandleSignalsOptions = {},
): () => void {
  const where = 'health.handleSignals'
  if (!Array.isArray(signals) || signals.length === 0 || !signals.every(isName)) {
    throw new TypeError(
      `${where}: signals must be a non-empty array of signal names, received ${describe(signals)}`,
    )
  }
  const onDrained = options.onDrained ?? reraise
  if (typeof onDrained !== 'function') {
    throw new TypeError(
      `${where}: options.onDrained must be a function, received ${describe(onDrained)}`,
    )
  }

  const controller = new AbortController()
  let received = false
  const listeners = signals.map((signal) => {
    const listener = () => {
      if (received) {
        controller.abort()
        return
      }
      received = true
      void target
        .drain({ ...options.drain, reason: signal, signal: controller.signal })
        .then((summary) => {
          dispose()
          onDrained(summary, signal)
        }, dispose)
    }
    process.on(signal, listener)

    return [signal, listener] as const
  })

  let disposed = false
  const dispose = () => {
    if (disposed) return
    disposed = true
    for (const [signal, listener] of listeners) process.removeListener(signal, listener)
  }

  return dispose
}

function isName(value: unknown): value is NodeJS.Signals {
  return typeof value === 'string' && value !== ''
}

function reraise(_summary: DrainSummary, signal: NodeJS.Signals): void {
  process.kill(process.pid, signal)
}

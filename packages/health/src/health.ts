import type { CheckResult } from './check'
import type { CloserOptions, DrainableServer, DrainOptions, DrainSummary } from './drain'
import type { HealthEventName, HealthListener } from './events'
import type { HealthBody, HealthReport } from './healthJson'
import { HealthMonitor } from './monitor'
import { type HealthOptions, resolveHealthOptions } from './options'
import type { TrackableResponse } from './requests'
import type { HandleSignalsOptions } from './signals'
import type { HealthSources } from './sources'

/** Options of `start()` and `refresh()`. */
export interface WaitOptions {
  /**
   * Stops waiting (the promise rejects with the signal's reason); the checks
   * themselves go on, bounded by their timeouts.
   * @default undefined (never aborts)
   */
  readonly signal?: AbortSignal
}

/**
 * Liveness, readiness and a detailed report for one service, answered from
 * cached check results, plus the drain that takes the service out of rotation
 * without dropping requests. Create one with {@link createHealth}.
 */
export interface Health {
  /** Whether a drain has begun (and readiness answers 503). */
  readonly draining: boolean
  /** Whether the health object was closed, by `close()` or at the end of a drain. */
  readonly closed: boolean
  /** Requests tracked with `beginRequest` or `trackResponse` and not yet done. */
  readonly inFlight: number

  /**
   * Runs every check once, starts the background refreshes (and the event-loop
   * sampler, when configured) and resolves with the report once every check has
   * a result. Calling it again joins the first call. Rejects with a
   * `HealthClosedError` once closed.
   */
  start(options?: WaitOptions): Promise<HealthReport>
  /**
   * Runs every check now, joining runs under way, and resolves with their
   * results in the order of `checks`. Before `start()` it runs the checks
   * without starting their background refreshes.
   */
  refresh(options?: WaitOptions): Promise<readonly CheckResult[]>
  /**
   * Runs one check now, or joins its run under way, and resolves with the
   * result. Rejects with a `RangeError` for an unknown name.
   */
  refresh(name: string, options?: WaitOptions): Promise<CheckResult>

  /**
   * The liveness answer: `pass` unless the health object is closed, or the
   * event loop was late beyond `maxEventLoopDelayMs` at its last sample. It
   * never looks at dependencies. Returns one cached, frozen object.
   */
  liveness(): HealthBody
  /**
   * The readiness answer, from the critical checks' last results and the
   * drain: `fail` while draining or closed, or while a critical check failed
   * or has no result yet. Returns one cached, frozen object until something it
   * depends on changes.
   */
  readiness(): HealthBody
  /** The full `application/health+json` report: every check and every source, read now. */
  report(): HealthReport

  /** Adds sources to the report; returns a function that removes exactly these. */
  addSources(sources: HealthSources): () => void

  /**
   * Counts a request in flight for the drain; call the returned function when
   * it is done (calling it again does nothing).
   */
  beginRequest(): () => void
  /**
   * Counts `response` in flight until it closes, and sends it with
   * `connection: close` once draining. The adapters call it for every request.
   */
  trackResponse(response: TrackableResponse): void
  /**
   * Registers a listening server. A drain stops it accepting connections after
   * the readiness delay, waits for it during the grace period and then closes
   * what is still open. Returns a function that unregisters it.
   */
  addServer(name: string, server: DrainableServer): () => void
  /**
   * Registers a closer (a pool, a Redis client) that a drain runs after the
   * servers have closed, in the order registered, each under its timeout;
   * one failing does not stop the next. Returns a function that unregisters it.
   */
  addCloser(
    name: string,
    close: (signal: AbortSignal) => unknown,
    options?: CloserOptions,
  ): () => void

  /**
   * Takes the service out of rotation and shuts it down: readiness turns to
   * 503 at once; requests are served for `readinessDelayMs`; the servers stop
   * accepting; requests in flight get `graceMs` to finish; the closers run in
   * order; the health object closes. Resolves with what happened; never rejects
   * once begun. Calling it again returns the same promise.
   */
  drain(options?: DrainOptions): Promise<DrainSummary>
  /**
   * Drains on the first of `signals`; a second signal during the drain cuts
   * its waits short. Once drained, the listeners are removed and `onDrained`
   * runs (by default the signal is raised again, so the process ends as the
   * signal asks). Returns a function that removes the listeners.
   */
  handleSignals(signals?: readonly NodeJS.Signals[], options?: HandleSignalsOptions): () => void

  /**
   * Stops the background refreshes and the sampler, aborts check runs under
   * way and removes signal listeners. Liveness and readiness fail from now on.
   * Calling it again does nothing.
   */
  close(): void

  /** Subscribes to one kind of event; returns a function that unsubscribes. */
  on<K extends HealthEventName>(event: K, listener: HealthListener<K>): () => void
}

/**
 * Creates a health object. Nothing runs until `start()`: until then a
 * critical check has no result, so readiness fails.
 *
 * @example
 * ```ts
 * const health = createHealth({
 *   checks: [{ name: 'postgres', componentType: 'datastore', run: (signal) => ping(signal) }],
 *   sources: { breakers, caches: { properties: cache }, timing: recorder },
 *   releaseId: process.env.GIT_SHA,
 * })
 * await health.start()
 * health.handleSignals()
 * ```
 */
export function createHealth(options: HealthOptions = {}): Health {
  return new HealthMonitor(resolveHealthOptions(options))
}

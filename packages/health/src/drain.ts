import type { Clock } from './clock'
import type { Emitter } from './emitter'
import { CloserTimeoutError } from './errors'
import type { DrainPhase, HealthEvents } from './events'
import type { RequestTracker } from './requests'
import { NEVER, settleWithin } from './wait'

/**
 * A listening server the drain stops accepting connections on; Node's
 * `http.Server` (and so `fastify.server`) fits.
 */
export interface DrainableServer {
  /** Stops accepting connections; calls `callback` once every connection has ended. */
  close(callback?: (error?: Error) => void): unknown
  /** Ends connections that carry no request (Node 18.2 and later). */
  closeIdleConnections?(): void
  /** Ends every connection, busy or not (Node 18.2 and later). */
  closeAllConnections?(): void
}

/** Options of one drain; each overrides the health object's option of the same name. */
export interface DrainOptions {
  /**
   * Why the drain runs, e.g. `'SIGTERM'`; carried by events and the summary.
   * @default undefined
   */
  readonly reason?: string
  /**
   * How long to keep serving after readiness turns to 503, in milliseconds.
   * @default the health object's readinessDelayMs (5_000)
   */
  readonly readinessDelayMs?: number
  /**
   * How long to wait for requests in flight once the servers stop accepting.
   * @default the health object's graceMs (10_000)
   */
  readonly graceMs?: number
  /**
   * Aborting it cuts the readiness delay and the grace period short: open
   * connections are closed and the closers run at once, each still under its
   * timeout.
   * @default undefined (never aborts)
   */
  readonly signal?: AbortSignal
}

/** Options of `health.addCloser`. */
export interface CloserOptions {
  /**
   * How long the closer may take, in milliseconds; at the timeout its signal
   * aborts and the drain moves on.
   * @default the health object's closerTimeoutMs (5_000)
   */
  readonly timeoutMs?: number
}

/** How closing one server or one closer ended. */
export interface CloserOutcome {
  /** The name it was registered under. */
  readonly name: string
  /** `'server'` for a server added with `addServer`, `'closer'` for `addCloser`. */
  readonly kind: 'server' | 'closer'
  /** `closed`, `failed` (it threw or rejected) or `timedOut`. */
  readonly status: 'closed' | 'failed' | 'timedOut'
  /** How long it took by the clock, in milliseconds. */
  readonly durationMs: number
  /** What it threw or rejected with, or the `CloserTimeoutError`; undefined when closed. */
  readonly error?: unknown
}

/** What `drain()` resolves with. */
export interface DrainSummary {
  /** The reason the drain was given. */
  readonly reason: string | undefined
  /** Clock time the drain began. */
  readonly startedAt: number
  /** How long the whole drain took by the clock, in milliseconds. */
  readonly durationMs: number
  /** Tracked requests in flight when the servers stopped accepting. */
  readonly requestsInFlight: number
  /** Tracked requests still in flight when the grace period ended early or ran out. */
  readonly requestsAbandoned: number
  /** Whether the grace period ran out before requests and connections finished. */
  readonly graceExpired: boolean
  /** Whether the drain's signal cut the readiness delay or the grace period short. */
  readonly aborted: boolean
  /** Every server, then every closer, in the order they were closed. */
  readonly closers: readonly CloserOutcome[]
}

/** A closer as registered. */
export interface Closer {
  readonly name: string
  readonly close: (signal: AbortSignal) => unknown
  readonly timeoutMs: number
}

/** A server as registered. */
export interface ServerEntry {
  readonly name: string
  readonly server: DrainableServer
}

/** What a drain works on: live lists, so servers and closers added late still take part. */
export interface DrainContext {
  readonly clock: Clock
  readonly tracker: RequestTracker
  readonly servers: readonly ServerEntry[]
  readonly closers: readonly Closer[]
  readonly events: Emitter<HealthEvents>
  readonly closerTimeoutMs: number
}

/** The settings of one drain after defaults. */
export interface DrainSettings {
  readonly reason: string | undefined
  readonly readinessDelayMs: number
  readonly graceMs: number
  readonly signal: AbortSignal | undefined
}

interface Closing {
  readonly entry: ServerEntry
  readonly startedAt: number
  readonly closed: Promise<unknown>
}

/**
 * Runs the drain after readiness has turned to 503: the readiness delay, then
 * servers stop accepting, then the grace period for requests in flight, then
 * the closers in order. It never rejects; failures are in the summary.
 */
export async function runDrain(context: DrainContext, settings: DrainSettings) {
  const { clock, tracker, events } = context
  const { signal } = settings
  const startedAt = clock.now()

  emitPhase(context, 'readiness-delay')
  let aborted = (await settleWithin(NEVER, settings.readinessDelayMs, signal)) === 'aborted'

  emitPhase(context, 'stop-accepting')
  const closing = context.servers.map((entry) => stopAccepting(entry, clock))

  emitPhase(context, 'grace')
  const requestsInFlight = tracker.inFlight
  const finished = tracker.whenIdle().then(() => {
    for (const { entry } of closing) entry.server.closeIdleConnections?.()
    return Promise.all(closing.map(({ closed }) => closed))
  })
  const graceEnd = aborted ? 'aborted' : await settleWithin(finished, settings.graceMs, signal)
  aborted ||= graceEnd === 'aborted'
  const requestsAbandoned = graceEnd === 'done' ? 0 : tracker.inFlight
  if (graceEnd !== 'done') {
    for (const { entry } of closing) entry.server.closeAllConnections?.()
  }

  const outcomes: CloserOutcome[] = []
  for (const server of closing) outcomes.push(report(events, await serverOutcome(context, server)))
  emitPhase(context, 'closers')
  for (const closer of [...context.closers]) {
    outcomes.push(report(events, await runCloser(clock, closer)))
  }

  const summary: DrainSummary = {
    reason: settings.reason,
    startedAt,
    durationMs: clock.now() - startedAt,
    requestsInFlight,
    requestsAbandoned,
    graceExpired: graceEnd === 'timeout',
    aborted,
    closers: outcomes,
  }
  return summary
}

function emitPhase(context: DrainContext, phase: DrainPhase): void {
  if (context.events.count('drainPhase') === 0) return

  const at = context.clock.now()
  context.events.emit('drainPhase', { phase, inFlight: context.tracker.inFlight, at })
}

/** Closes the listener and the idle connections; `closed` settles when every connection ended. */
function stopAccepting(entry: ServerEntry, clock: Clock): Closing {
  const startedAt = clock.now()
  const closed = new Promise<unknown>((resolve) => {
    try {
      entry.server.close((error) => resolve(isNotRunning(error) ? undefined : error))
      entry.server.closeIdleConnections?.()
    } catch (error) {
      resolve(error)
    }
  })

  return { entry, startedAt, closed }
}

/** A server that was not listening has nothing to close, which is not a failure. */
function isNotRunning(error: unknown): boolean {
  return (
    error === undefined ||
    error === null ||
    (error as { code?: unknown }).code === 'ERR_SERVER_NOT_RUNNING'
  )
}

async function serverOutcome(context: DrainContext, closing: Closing): Promise<CloserOutcome> {
  const { name } = closing.entry
  let error: unknown
  const end = await settleWithin(
    closing.closed.then((closeError) => {
      error = closeError
    }),
    context.closerTimeoutMs,
    undefined,
  )
  const durationMs = context.clock.now() - closing.startedAt
  if (end === 'timeout') {
    const timeout = new CloserTimeoutError(name, context.closerTimeoutMs)
    return { name, kind: 'server', status: 'timedOut', durationMs, error: timeout }
  }
  if (error !== undefined) return { name, kind: 'server', status: 'failed', durationMs, error }

  return { name, kind: 'server', status: 'closed', durationMs }
}

async function runCloser(clock: Clock, closer: Closer): Promise<CloserOutcome> {
  const { name, timeoutMs } = closer
  const startedAt = clock.now()
  const controller = new AbortController()
  let failed = false
  let error: unknown

  const run = Promise.resolve()
    .then(() => closer.close(controller.signal))
    .catch((closeError: unknown) => {
      failed = true
      error = closeError
    })
  const end = await settleWithin(run, timeoutMs, undefined)
  const durationMs = clock.now() - startedAt
  if (end === 'timeout') {
    const timeout = new CloserTimeoutError(name, timeoutMs)
    controller.abort(timeout)
    return { name, kind: 'closer', status: 'timedOut', durationMs, error: timeout }
  }
  if (failed) return { name, kind: 'closer', status: 'failed', durationMs, error }

  return { name, kind: 'closer', status: 'closed', durationMs }
}

function report(events: Emitter<HealthEvents>, outcome: CloserOutcome): CloserOutcome {
  if (outcome.status !== 'closed' && events.count('closerFailure') !== 0) {
    const { name, kind, durationMs, error } = outcome
    const timedOut = outcome.status === 'timedOut'
    events.emit('closerFailure', { name, kind, error, timedOut, durationMs })
  }

  return outcome
}

import {
  buildReport,
  LIVENESS_CLOSED,
  LIVENESS_PASS,
  type Lifecycle,
  livenessDelayed,
  readinessBody,
} from './answers'
import type { CheckResult } from './check'
import { CheckRunner } from './checkRunner'
import { describe } from './describe'
import {
  type Closer,
  type CloserOptions,
  type DrainableServer,
  type DrainContext,
  type DrainOptions,
  type DrainSummary,
  runDrain,
  type ServerEntry,
} from './drain'
import { Emitter } from './emitter'
import { HealthClosedError } from './errors'
import { EventLoopSampler } from './eventLoop'
import {
  HEALTH_EVENT_NAMES,
  type HealthEventName,
  type HealthEvents,
  type HealthListener,
} from './events'
import type { Health, WaitOptions } from './health'
import type { HealthBody, HealthReport } from './healthJson'
import { duration, nonEmptyString, positiveDuration, type ResolvedHealthOptions } from './options'
import { RequestTracker, type TrackableResponse } from './requests'
import { type HandleSignalsOptions, listenForSignals } from './signals'
import { type HealthSources, resolveSources, type SourceLists } from './sources'
import { untilAborted } from './wait'

/** The health object behind `createHealth`. */
export class HealthMonitor implements Health {
  private readonly options: ResolvedHealthOptions
  private readonly runners: readonly CheckRunner[]
  private readonly critical: readonly CheckRunner[]
  private readonly byName: ReadonlyMap<string, CheckRunner>
  private readonly events: Emitter<HealthEvents>
  private readonly tracker = new RequestTracker()
  private readonly sources: SourceLists = { breakers: [], caches: [], timing: [] }
  private readonly servers: ServerEntry[] = []
  private readonly closers: Closer[] = []
  private readonly sampler: EventLoopSampler | undefined
  private readonly signalDisposers = new Set<() => void>()

  private lifecycle: Lifecycle = 'serving'
  private livenessAnswer: HealthBody = LIVENESS_PASS
  private readinessAnswer: HealthBody
  private starting: Promise<unknown> | undefined
  private draining_: Promise<DrainSummary> | undefined

  constructor(options: ResolvedHealthOptions) {
    this.options = options
    this.events = new Emitter(HEALTH_EVENT_NAMES, options.logger)
    this.runners = options.checks.map(
      (check) =>
        new CheckRunner(check, options.clock, (result, previous) => {
          this.recordResult(result, previous)
        }),
    )
    this.critical = this.runners.filter((runner) => runner.check.critical)
    this.byName = new Map(this.runners.map((runner) => [runner.check.name, runner]))
    this.addSourceLists(options.sources)
    this.readinessAnswer = readinessBody(this.critical, this.lifecycle)

    const { maxEventLoopDelayMs } = options
    this.sampler =
      maxEventLoopDelayMs === undefined
        ? undefined
        : new EventLoopSampler(options.clock, () => this.sampleLiveness(maxEventLoopDelayMs))
  }

  get draining(): boolean {
    return this.lifecycle === 'draining'
  }

  get closed(): boolean {
    return this.lifecycle === 'closed'
  }

  get inFlight(): number {
    return this.tracker.inFlight
  }

  start(options: WaitOptions = {}): Promise<HealthReport> {
    if (this.lifecycle === 'closed') return Promise.reject(new HealthClosedError('start'))

    if (this.starting === undefined) {
      this.sampler?.start()
      for (const runner of this.runners) runner.startBackground()
      this.starting = Promise.all(this.runners.map((runner) => runner.run()))
    }

    return untilAborted(this.starting, options.signal).then(() => this.report())
  }

  refresh(options?: WaitOptions): Promise<readonly CheckResult[]>
  refresh(name: string, options?: WaitOptions): Promise<CheckResult>
  refresh(
    nameOrOptions?: string | WaitOptions,
    maybeOptions?: WaitOptions,
  ): Promise<CheckResult | readonly CheckResult[]> {
    if (this.lifecycle === 'closed') return Promise.reject(new HealthClosedError('refresh'))
    if (typeof nameOrOptions !== 'string') {
      const all = Promise.all(this.runners.map((runner) => runner.run()))
      return untilAborted(all, nameOrOptions?.signal)
    }

    const runner = this.byName.get(nameOrOptions)
    if (runner === undefined) {
      const names = [...this.byName.keys()].map((name) => JSON.stringify(name)).join(', ')
      return Promise.reject(
        new RangeError(
          `health.refresh: name must be one of the checks (${names || 'none'}), ` +
            `received ${describe(nameOrOptions)}`,
        ),
      )
    }

    return untilAborted(runner.run(), maybeOptions?.signal)
  }

  liveness(): HealthBody {
    return this.livenessAnswer
  }

  readiness(): HealthBody {
    return this.readinessAnswer
  }

  report(): HealthReport {
    return buildReport({
      identity: this.options.identity,
      runners: this.runners,
      sources: this.sources,
      liveness: this.livenessAnswer,
      readiness: this.readinessAnswer,
      clock: this.options.clock,
    })
  }

  addSources(sources: HealthSources): () => void {
    const added = resolveSources(sources, 'health.addSources: sources')
    this.addSourceLists(added)

    let removed = false
    return () => {
      if (removed) return
      removed = true
      removeEach(this.sources.breakers, added.breakers)
      removeEach(this.sources.caches, added.caches)
      removeEach(this.sources.timing, added.timing)
    }
  }

  beginRequest(): () => void {
    return this.tracker.begin()
  }

  trackResponse(response: TrackableResponse): void {
    if (
      typeof response !== 'object' ||
      response === null ||
      typeof response.once !== 'function' ||
      typeof response.setHeader !== 'function'
    ) {
      throw new TypeError(
        'health.trackResponse: response must be an object with once() and setHeader() ' +
          `methods, received ${describe(response)}`,
      )
    }
    this.tracker.track(response)
  }

  addServer(name: string, server: DrainableServer): () => void {
    const where = 'health.addServer'
    const entry = { name: nonEmptyString(name, `${where}: name`), server }
    if (typeof server !== 'object' || server === null || typeof server.close !== 'function') {
      throw new TypeError(
        `${where}: server must be an object with a close() method, received ${describe(server)}`,
      )
    }

    return addTo(this.servers, entry)
  }

  addCloser(
    name: string,
    close: (signal: AbortSignal) => unknown,
    options: CloserOptions = {},
  ): () => void {
    const where = 'health.addCloser'
    nonEmptyString(name, `${where}: name`)
    if (typeof close !== 'function') {
      throw new TypeError(`${where}: close must be a function, received ${describe(close)}`)
    }
    const timeoutMs = positiveDuration(
      options.timeoutMs,
      this.options.closerTimeoutMs,
      `${where}: options.timeoutMs`,
    )

    return addTo(this.closers, { name, close, timeoutMs })
  }

  drain(options: DrainOptions = {}): Promise<DrainSummary> {
    if (this.draining_ !== undefined) return this.draining_
    if (this.lifecycle === 'closed') return Promise.reject(new HealthClosedError('drain'))

    let settings: Parameters<typeof runDrain>[1]
    try {
      settings = this.drainSettings(options)
    } catch (error) {
      return Promise.reject(error)
    }

    this.lifecycle = 'draining'
    this.tracker.startDraining()
    this.updateReadiness()
    const at = this.options.clock.now()
    this.events.emit('drainStart', { reason: settings.reason, inFlight: this.inFlight, at })

    this.draining_ = runDrain(this.drainContext(), settings).then((summary) => {
      this.close()
      this.events.emit('drainEnd', summary)
      return summary
    })
    return this.draining_
  }

  handleSignals(signals?: readonly NodeJS.Signals[], options?: HandleSignalsOptions): () => void {
    if (this.lifecycle === 'closed') throw new HealthClosedError('handle signals')

    const remove = listenForSignals(this, signals, options)
    const dispose = () => {
      this.signalDisposers.delete(dispose)
      remove()
    }
    this.signalDisposers.add(dispose)

    return dispose
  }

  close(): void {
    if (this.lifecycle === 'closed') return

    this.lifecycle = 'closed'
    for (const runner of this.runners) runner.close()
    this.sampler?.stop()
    for (const dispose of [...this.signalDisposers]) dispose()
    this.livenessAnswer = LIVENESS_CLOSED
    this.updateReadiness()
  }

  on<K extends HealthEventName>(event: K, listener: HealthListener<K>): () => void {
    return this.events.on(event, listener)
  }

  private recordResult(result: CheckResult, previous: CheckResult | undefined): void {
    const { events } = this
    if (events.count('checkResult') !== 0) events.emit('checkResult', result)
    if (previous?.status !== result.status && events.count('checkStatusChange') !== 0) {
      const { name, critical, status } = result
      const from = previous?.status ?? 'unknown'
      events.emit('checkStatusChange', { name, critical, from, to: status, result })
    }

    if (result.critical) this.updateReadiness()
  }

  private updateReadiness(): void {
    const before = this.readinessAnswer
    this.readinessAnswer = readinessBody(this.critical, this.lifecycle)
    if (before.status === this.readinessAnswer.status) return

    if (this.events.count('readinessChange') !== 0) {
      const { status: to, output } = this.readinessAnswer
      const at = this.options.clock.now()
      this.events.emit('readinessChange', { from: before.status, to, output, at })
    }
  }

  private sampleLiveness(maxMs: number): void {
    if (this.lifecycle === 'closed' || this.sampler === undefined) return

    const { delayMs } = this.sampler
    if (delayMs > maxMs) this.livenessAnswer = livenessDelayed(delayMs, maxMs)
    else this.livenessAnswer = LIVENESS_PASS
  }

  private addSourceLists(lists: SourceLists): void {
    this.sources.breakers.push(...lists.breakers)
    this.sources.caches.push(...lists.caches)
    this.sources.timing.push(...lists.timing)
  }

  private drainSettings(options: DrainOptions): Parameters<typeof runDrain>[1] {
    const where = 'health.drain: options'
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`${where} must be an object, received ${describe(options)}`)
    }
    const { reason, signal } = options
    if (reason !== undefined) nonEmptyString(reason, `${where}.reason`)
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`${where}.signal must be an AbortSignal, received ${describe(signal)}`)
    }

    return {
      reason,
      readinessDelayMs: duration(
        options.readinessDelayMs,
        this.options.readinessDelayMs,
        `${where}.readinessDelayMs`,
      ),
      graceMs: duration(options.graceMs, this.options.graceMs, `${where}.graceMs`),
      signal,
    }
  }

  private drainContext(): DrainContext {
    return {
      clock: this.options.clock,
      tracker: this.tracker,
      servers: this.servers,
      closers: this.closers,
      events: this.events,
      closerTimeoutMs: this.options.closerTimeoutMs,
    }
  }
}

/** Appends `item`; returns a function that removes it again, once. */
function addTo<T>(list: T[], item: T): () => void {
  list.push(item)

  let removed = false
  return () => {
    if (removed) return
    removed = true
    const index = list.indexOf(item)
    if (index !== -1) list.splice(index, 1)
  }
}

function removeEach<T>(list: T[], items: readonly T[]): void {
  for (const item of items) {
    const index = list.indexOf(item)
    if (index !== -1) list.splice(index, 1)
  }
}

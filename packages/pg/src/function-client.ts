import { type CallTarget, type FunctionArguments, namedCall, positionalText } from './call-target'
import { ClientClosedError, UnknownFunctionError, UnknownVersionError } from './errors'
import type { FunctionClientEvents } from './function-client-events'
import type { FunctionCallOptions, FunctionClientOptions } from './function-client-options'
import { assertFunctionName, assertVersion, channelName } from './identifiers'
import { registrySchema } from './install'
import { type KeptSubscription, keepListening } from './listener'
import type { Queryable, QueryResult } from './queryable'
import { activeVersions, loadVersionMap, type VersionMap } from './version-map'

export type {
  FunctionCallEvent,
  FunctionClientEvents,
  FunctionListeningEvent,
  FunctionRefreshEvent,
} from './function-client-events'
export type {
  Clock,
  FunctionCallOptions,
  FunctionClientOptions,
  PgLogger,
} from './function-client-options'
export type { FunctionArguments }

/** Calls versioned functions by logical name. */
export interface FunctionClient {
  /**
   * Calls the requested, pinned or active version of `name`. Set-returning functions
   * resolve to an array of rows (or of values for `SETOF scalar`); functions returning
   * a row (OUT parameters, composite types) to one row object or `null`; scalar
   * functions to the value. `args` is read when the statement is sent.
   */
  call<T = unknown>(
    name: string,
    args?: FunctionArguments,
    options?: FunctionCallOptions,
  ): Promise<T>
  /** Re-reads the registry now; concurrent requests share one read plus one follow-up. */
  refresh(): Promise<void>
  /** Resolves once the registry has been read at least once. */
  ready(): Promise<void>
  /** The active version of `name` in the local map, if any. */
  activeVersion(name: string): number | undefined
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof FunctionClientEvents>(
    event: E,
    listener: (payload: FunctionClientEvents[E]) => void,
  ): () => void
  /** Stops the timer, the retries and the NOTIFY subscription; later calls reject. */
  close(): Promise<void>
}

/** Any event listener; `emit` and `on` keep each list to its event's payload type. */
type AnyListener = (payload: never) => void

const noArguments: readonly unknown[] = []

function nonNegative(value: number, option: string): number {
  if (!Number.isFinite(value) || value < 0) {
    const what = `createFunctionClient: options.${option} must be a non-negative number`
    throw new RangeError(`${what}, received ${String(value)}`)
  }
  return value
}

function readPins(pins: Readonly<Record<string, number>> | undefined): Map<string, number> {
  const map = new Map<string, number>()
  for (const [name, version] of Object.entries(pins ?? {})) {
    assertFunctionName(name)
    assertVersion(version)
    map.set(name, version)
  }
  return map
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason)
    signal.addEventListener('abort', abort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}

/**
 * Creates a client that calls versioned functions by their logical name. It keeps a
 * local map of versions, refreshed on NOTIFY (when `db.listen` exists; the subscription
 * is renewed when it breaks) and every `refreshIntervalMs`, so an activation reaches
 * every instance within a second. Resolving a version is a map look-up and the SQL text
 * of each (version, argument count) is built once. Names are validated and arguments are
 * always bound parameters; an unknown function or version, or a wrong argument count, is
 * rejected before the database is asked.
 *
 * @example
 * ```ts
 * const fns = createFunctionClient(db, { pins: { get_properties: 2 } })
 * const rows = await fns.call('get_properties', ['Lisbon'])
 * await fns.close()
 * ```
 */
export function createFunctionClient(
  db: Queryable,
  options: FunctionClientOptions = {},
): FunctionClient {
  const schema = registrySchema(options)
  const intervalMs = nonNegative(options.refreshIntervalMs ?? 1000, 'refreshIntervalMs')
  const reconnectDelayMs = nonNegative(options.reconnectDelayMs ?? 100, 'reconnectDelayMs')
  const pins = readPins(options.pins)
  const clock = options.clock ?? performance
  const logger = options.logger
  if (typeof clock?.now !== 'function') {
    throw new TypeError(
      `createFunctionClient: options.clock must have a now() method, received ${typeof clock}`,
    )
  }
  if (logger !== undefined && typeof logger?.warn !== 'function') {
    throw new TypeError(
      `createFunctionClient: options.logger must have a warn() method, received ${typeof logger}`,
    )
  }

  // Lists are replaced, never changed in place, so a listener may unsubscribe mid-emit.
  const listeners: Record<keyof FunctionClientEvents, readonly AnyListener[]> = {
    call: [],
    refresh: [],
    listening: [],
    error: [],
  }
  let map: VersionMap | undefined
  let running: Promise<void> | undefined
  let queued: Promise<void> | undefined
  let closed = false

  function emit<E extends keyof FunctionClientEvents>(event: E, payload: FunctionClientEvents[E]) {
    const list = listeners[event] as ReadonlyArray<(payload: FunctionClientEvents[E]) => void>
    for (const listener of list) {
      try {
        listener(payload)
      } catch (error) {
        // A throwing listener must not break calls or refreshes.
        try {
          logger?.warn({ err: error, event }, 'function client event listener threw')
        } catch {
          // Nor may a throwing logger.
        }
      }
    }
  }

  async function load(): Promise<void> {
    map = await loadVersionMap(db, schema, map)
    if (listeners.refresh.length > 0) emit('refresh', { active: activeVersions(map) })
  }

  function refresh(): Promise<void> {
    if (!running) {
      running = load().finally(() => {
        running = undefined
      })
      return running
    }
    // A read already in flight may predate the change that asked for this refresh.
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined
        return refresh()
      })
    return queued
  }

  function background(): void {
    if (closed) return
    refresh().catch((error: unknown) => emit('error', { error }))
  }

  const timer = intervalMs > 0 ? setInterval(background, intervalMs) : undefined
  timer?.unref()

  let subscription: KeptSubscription | undefined
  if (options.listen !== false && db.listen) {
    const channel = channelName(schema)
    subscription = keepListening(
      db.listen.bind(db),
      channel,
      {
        onNotice: background,
        onListening() {
          emit('listening', { channel })
          background()
        },
        onError: (error) => emit('error', { error }),
      },
      reconnectDelayMs,
    )
  }

  function resolve(current: VersionMap, name: string, requested: number | undefined) {
    const entry = current.get(name)
    if (entry === undefined) {
      assertFunctionName(name)
      throw new UnknownFunctionError(name)
    }
    const version = requested ?? pins.get(name) ?? entry.active
    if (version === undefined) throw new UnknownFunctionError(name, 'has no active version')
    const target = entry.versions.get(version)
    if (target === undefined) {
      assertVersion(version)
      throw new UnknownVersionError(name, version)
    }
    return { version, target }
  }

  async function observed(
    name: string,
    version: number,
    target: CallTarget,
    statement: { text: string; values: readonly unknown[] },
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    signal?.throwIfAborted()
    const started = clock.now()
    const report = (ok: boolean, error?: unknown) => {
      if (listeners.call.length === 0) return
      const durationMs = clock.now() - started
      const event = { name, version, physicalName: target.physicalName, durationMs, ok }
      emit('call', ok ? event : { ...event, error })
    }

    try {
      const query = db.query<Record<string, unknown>>(statement.text, statement.values)
      const result = signal ? await abortable(query, signal) : await query
      report(true)
      return target.shape(result)
    } catch (error) {
      report(false, error)
      throw error
    }
  }

  // The hot path: a map look-up, a cached SQL text, one query. Nothing async is added
  // unless someone listens for calls or passes a signal.
  function call<T>(
    name: string,
    args?: FunctionArguments,
    callOptions?: FunctionCallOptions,
  ): Promise<T> {
    if (closed) return Promise.reject(new ClientClosedError())
    const current = map
    if (current === undefined) {
      return refresh().then(() => call<T>(name, args, callOptions))
    }

    let version: number
    let target: CallTarget
    let text: string
    let values: readonly unknown[]
    try {
      ;({ version, target } = resolve(current, name, callOptions?.version))
      if (args === undefined || Array.isArray(args)) {
        values = (args as readonly unknown[] | undefined) ?? noArguments
        text = positionalText(target, values.length)
      } else {
        ;({ text, values } = namedCall(target, args as Readonly<Record<string, unknown>>))
      }
    } catch (error) {
      return Promise.reject(error)
    }

    const signal = callOptions?.signal
    if (signal === undefined && listeners.call.length === 0) {
      const query = db.query<Record<string, unknown>>(text, values)
      return query.then(target.shape as (result: QueryResult) => T)
    }
    return observed(name, version, target, { text, values }, signal) as Promise<T>
  }

  return {
    call,
    refresh,
    ready: () => (map ? Promise.resolve() : refresh()),
    activeVersion: (name) => map?.get(name)?.active,
    on(event, listener) {
      if (!Object.hasOwn(listeners, event)) {
        const names = Object.keys(listeners).join(', ')
        throw new TypeError(`fns.on: event must be one of ${names}, received ${String(event)}`)
      }
      listeners[event] = [...listeners[event], listener as AnyListener]
      return () => {
        listeners[event] = listeners[event].filter((l) => l !== listener)
      }
    },
    async close() {
      if (closed) return
      closed = true
      if (timer) clearInterval(timer)
      await subscription?.close()
    },
  }
}

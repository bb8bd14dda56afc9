import {
  bindArguments,
  type CallTarget,
  callText,
  type FunctionArguments,
  resultKind,
  shape,
} from './call-target'
import { ClientClosedError, UnknownFunctionError, UnknownVersionError } from './errors'
import { assertFunctionName, assertVersion, channelName, quoteIdent } from './identifiers'
import { type RegistryOptions, registrySchema } from './install'
import type { Queryable } from './queryable'
import { readVersions } from './registry'

export type { FunctionArguments }

/** A source of time in milliseconds. */
export interface Clock {
  /** The current time in milliseconds (only differences are used). */
  now(): number
}

/** How a function client resolves and refreshes versions. */
export interface FunctionClientOptions extends RegistryOptions {
  /**
   * How often the client re-reads the registry, in milliseconds. It does so even when it
   * listens for NOTIFY, because a notification can be missed (a dropped listener
   * connection). `0` turns the timer off; call `refresh()` yourself then.
   * @default 1000
   */
  readonly refreshIntervalMs?: number
  /**
   * Versions this build was made for, by function name. A pinned function is always
   * called at its pinned version, whatever is active.
   * @default {}
   */
  readonly pins?: Readonly<Record<string, number>>
  /**
   * Listen for activations with `db.listen` when the connection offers it.
   * @default true
   */
  readonly listen?: boolean
  /**
   * Measures call durations.
   * @default performance.now
   */
  readonly clock?: Clock
}

/** Per-call options. */
export interface FunctionCallOptions {
  /** Call this version instead of the pinned or active one. */
  readonly version?: number
}

/** Emitted after every call, successful or not. */
export interface FunctionCallEvent {
  /** The logical function name. */
  readonly name: string
  /** The version that was called. */
  readonly version: number
  /** The versioned name, e.g. `get_properties__v3`: the name to record timings under. */
  readonly physicalName: string
  /** How long the call took, from the client's clock. */
  readonly durationMs: number
  /** Whether the call succeeded. */
  readonly ok: boolean
  /** The error, when it failed. */
  readonly error?: unknown
}

/** Emitted after every successful registry refresh. */
export interface FunctionRefreshEvent {
  /** Active versions by function name after the refresh. */
  readonly active: Readonly<Record<string, number>>
}

/** Events of a function client and their payloads. */
export interface FunctionClientEvents {
  /** After every call. */
  call: FunctionCallEvent
  /** After every successful refresh. */
  refresh: FunctionRefreshEvent
  /** A background refresh or the NOTIFY subscription failed; the old map stays in use. */
  error: { readonly error: unknown }
}

/** Calls versioned functions by logical name. */
export interface FunctionClient {
  /**
   * Calls the pinned, requested or active version of `name`. Set-returning functions
   * resolve to an array of rows (or of values for `SETOF scalar`); functions returning
   * a row (OUT parameters, composite types) to one row object or `null`; scalar
   * functions to the value.
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
  /** Stops the timer and the NOTIFY subscription; later calls reject. */
  close(): Promise<void>
}

interface FunctionEntry {
  readonly active: number | undefined
  readonly versions: ReadonlyMap<number, CallTarget>
}

async function loadMap(db: Queryable, schema: string): Promise<Map<string, FunctionEntry>> {
  const versions = await readVersions(db, schema)
  const grouped = new Map<
    string,
    { active: number | undefined; versions: Map<number, CallTarget> }
  >()

  for (const v of versions) {
    if (v.droppedAt !== null) continue
    const entry = grouped.get(v.name) ?? { active: undefined, versions: new Map() }
    grouped.set(v.name, entry)
    if (v.status === 'active') entry.active = v.version
    entry.versions.set(v.version, {
      physicalName: v.physicalName,
      qualified: `${quoteIdent(v.functionSchema)}.${quoteIdent(v.physicalName)}`,
      parameters: v.signature.arguments,
      kind: resultKind(v.signature.returnsSet, v.signature.resultColumns !== null),
    })
  }
  return grouped
}

/**
 * Creates a client that calls versioned functions by their logical name. It keeps a
 * local map of versions, refreshed on NOTIFY (when `db.listen` exists) and every
 * `refreshIntervalMs`, so an activation reaches every instance within about a second.
 * Names are validated and arguments are always bound parameters; an unknown function or
 * version, or a wrong argument count, is rejected before the function is called.
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
  const intervalMs = options.refreshIntervalMs ?? 1000
  const pins = { ...(options.pins ?? {}) }
  const clock = options.clock ?? performance
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    const what = 'createFunctionClient: options.refreshIntervalMs must be a non-negative number'
    throw new RangeError(`${what}, received ${intervalMs}`)
  }
  for (const [name, version] of Object.entries(pins)) {
    assertFunctionName(name)
    assertVersion(version)
  }

  const listeners: {
    [E in keyof FunctionClientEvents]: Set<(p: FunctionClientEvents[E]) => void>
  } = { call: new Set(), refresh: new Set(), error: new Set() }
  let map: Map<string, FunctionEntry> | undefined
  let running: Promise<void> | undefined
  let queued: Promise<void> | undefined
  let closed = false
  let unlisten: Promise<(() => Promise<void>) | undefined> = Promise.resolve(undefined)

  function emit<E extends keyof FunctionClientEvents>(event: E, payload: FunctionClientEvents[E]) {
    for (const listener of listeners[event]) {
      try {
        listener(payload)
      } catch {
        // A throwing listener must not break calls or refreshes.
      }
    }
  }

  async function load(): Promise<void> {
    map = await loadMap(db, schema)
    if (listeners.refresh.size === 0) return
    const active: Record<string, number> = {}
    for (const [name, entry] of map) if (entry.active !== undefined) active[name] = entry.active
    emit('refresh', { active })
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
    refresh().catch((error: unknown) => emit('error', { error }))
  }

  const timer = intervalMs > 0 ? setInterval(background, intervalMs) : undefined
  timer?.unref()

  if (options.listen !== false && db.listen) {
    const failed = (error: unknown) => emit('error', { error })
    unlisten = db.listen(channelName(schema), background, failed).catch((error: unknown) => {
      emit('error', { error })
      return undefined
    })
  }

  async function resolve(name: string, requested: number | undefined) {
    if (closed) throw new ClientClosedError()
    assertFunctionName(name)
    if (requested !== undefined) assertVersion(requested)
    if (!map) await refresh()

    const entry = map?.get(name)
    if (!entry) throw new UnknownFunctionError(name)
    const version = requested ?? pins[name] ?? entry.active
    if (version === undefined) throw new UnknownFunctionError(name, 'has no active version')
    const target = entry.versions.get(version)
    if (!target) throw new UnknownVersionError(name, version)
    return { version, target }
  }

  async function call<T>(
    name: string,
    args?: FunctionArguments,
    callOptions?: FunctionCallOptions,
  ): Promise<T> {
    const { version, target } = await resolve(name, callOptions?.version)
    const { list, values } = bindArguments(target, args)
    const text = callText(target, list)
    const started = clock.now()

    try {
      const { rows } = await db.query<Record<string, unknown>>(text, values)
      if (listeners.call.size > 0) {
        const durationMs = clock.now() - started
        emit('call', { name, version, physicalName: target.physicalName, durationMs, ok: true })
      }
      return shape(target.kind, rows) as T
    } catch (error) {
      if (listeners.call.size > 0) {
        const durationMs = clock.now() - started
        const event = { name, version, physicalName: target.physicalName, durationMs, ok: false }
        emit('call', { ...event, error })
      }
      throw error
    }
  }

  return {
    call,
    refresh,
    ready: () => (map ? Promise.resolve() : refresh()),
    activeVersion: (name) => map?.get(name)?.active,
    on(event, listener) {
      listeners[event].add(listener)
      return () => {
        listeners[event].delete(listener)
      }
    },
    async close() {
      if (closed) return
      closed = true
      if (timer) clearInterval(timer)
      const stop = await unlisten
      await stop?.()
    },
  }
}

import type { Breaker } from './breaker'
import { CircuitBreaker } from './circuitBreaker'
import { Emitter } from './emitter'
import {
  BREAKER_EVENT_NAMES,
  type BreakerEventName,
  type BreakerEvents,
  type BreakerListener,
} from './events'
import { type BreakerLogger, type BreakerOptions, describe, resolveBreakerOptions } from './options'
import type { BreakerSnapshot } from './snapshot'

/** Breaker options without the name, as the registry's defaults and overrides take them. */
export type BreakerDefaults = Omit<BreakerOptions, 'name'>

/** Options of {@link createBreakerRegistry}. */
export interface BreakerRegistryOptions {
  /**
   * Options every breaker of the registry starts from.
   * @default {} (the defaults of createBreaker)
   */
  readonly defaults?: BreakerDefaults
  /**
   * Options per operation name, laid over `defaults` field by field. An
   * override that sets `failureThreshold` or `failureRateThreshold` replaces
   * the defaults' trip rule, so an operation can use count mode under rate-mode
   * defaults and the other way round.
   * @default {}
   */
  readonly overrides?: Readonly<Record<string, BreakerDefaults>>
}

/** Breakers keyed by operation name, created on first use. */
export interface BreakerRegistry {
  /** The breaker for `name`, created with the defaults and that name's override on first use. */
  get(name: string): Breaker
  /** Whether a breaker for `name` has been created. */
  has(name: string): boolean
  /** A snapshot of every breaker created so far, in order of creation. */
  snapshot(): BreakerSnapshot[]
  /**
   * Subscribes to one kind of event from every breaker, including breakers
   * created later; each event carries the breaker's `name`. Returns a function
   * that unsubscribes.
   */
  on<K extends BreakerEventName>(event: K, listener: BreakerListener<K>): () => void
}

/**
 * Creates a registry of breakers keyed by operation name, with shared defaults
 * and per-operation overrides. Every option is validated here, before any
 * breaker exists.
 *
 * @example
 * ```ts
 * const breakers = createBreakerRegistry({
 *   defaults: { openMs: 10_000 },
 *   overrides: { 'pg:get_properties': { failureThreshold: 3 } },
 * })
 * breakers.on('stateChange', (event) => logger.warn(event, 'circuit changed state'))
 * const rows = await breakers.get('pg:get_properties').execute((signal) => query(signal))
 * ```
 */
export function createBreakerRegistry(options: BreakerRegistryOptions = {}): BreakerRegistry {
  const where = 'createBreakerRegistry: options'
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where} must be an object, received ${describe(options)}`)
  }
  const defaults = { ...plainObject(options.defaults, `${where}.defaults`) }
  const overrides = plainObject(options.overrides, `${where}.overrides`)

  const { logger } = resolveBreakerOptions({ ...defaults, name: 'defaults' }, `${where}.defaults`)
  const merged = new Map<string, BreakerDefaults>()
  for (const [name, override] of Object.entries(overrides)) {
    const path = `${where}.overrides[${JSON.stringify(name)}]`
    const options = merge(defaults, plainObject(override, path))
    resolveBreakerOptions({ ...options, name }, path)
    merged.set(name, options)
  }

  return new Registry(defaults, merged, logger)
}

class Registry implements BreakerRegistry {
  private readonly defaults: BreakerDefaults
  /** Defaults with each override laid over them, checked at construction. */
  private readonly merged: ReadonlyMap<string, BreakerDefaults>
  private readonly breakers = new Map<string, Breaker>()
  private readonly events: Emitter<BreakerEvents>
  /** Per event, how to detach the forwarder from each breaker while anyone listens. */
  private readonly forwarding = new Map<BreakerEventName, Array<() => void>>()

  constructor(
    defaults: BreakerDefaults,
    merged: ReadonlyMap<string, BreakerDefaults>,
    logger: BreakerLogger | undefined,
  ) {
    this.defaults = defaults
    this.merged = merged
    this.events = new Emitter('registry', BREAKER_EVENT_NAMES, logger)
  }

  get(name: string): Breaker {
    const existing = this.breakers.get(name)
    if (existing !== undefined) return existing

    if (typeof name !== 'string' || name === '') {
      throw new TypeError(
        `registry.get: name must be a non-empty string, received ${describe(name)}`,
      )
    }
    const options = { ...(this.merged.get(name) ?? this.defaults), name }
    const breaker = new CircuitBreaker(resolveBreakerOptions(options, 'registry.get: options'))
    this.breakers.set(name, breaker)
    for (const [event, detaches] of this.forwarding) detaches.push(this.forward(breaker, event))

    return breaker
  }

  has(name: string): boolean {
    return this.breakers.has(name)
  }

  snapshot(): BreakerSnapshot[] {
    return Array.from(this.breakers.values(), (breaker) => breaker.snapshot())
  }

  on<K extends BreakerEventName>(event: K, listener: BreakerListener<K>): () => void {
    const unsubscribe = this.events.on(event, listener)
    if (!this.forwarding.has(event)) {
      const detaches = Array.from(this.breakers.values(), (b) => this.forward(b, event))
      this.forwarding.set(event, detaches)
    }

    return () => {
      unsubscribe()
      if (this.events.count(event) !== 0) return

      // Nobody listens any more: detach, so breakers stop building these events.
      for (const detach of this.forwarding.get(event) ?? []) detach()
      this.forwarding.delete(event)
    }
  }

  private forward<K extends BreakerEventName>(breaker: Breaker, event: K): () => void {
    return breaker.on(event, (payload: BreakerEvents[K]) => this.events.emit(event, payload))
  }
}

/** Lays `override` over `defaults`; an override's trip rule replaces the defaults' one. */
function merge(defaults: BreakerDefaults, override: BreakerDefaults): BreakerDefaults {
  const merged = { ...defaults, ...override }
  if (override.failureThreshold === undefined && override.failureRateThreshold === undefined) {
    return merged
  }

  return {
    ...merged,
    failureThreshold: override.failureThreshold,
    failureRateThreshold: override.failureRateThreshold,
  }
}

function plainObject<T extends object>(
  value: T | undefined,
  path: string,
): T | Record<never, never> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object, received ${describe(value)}`)
  }

  return value
}

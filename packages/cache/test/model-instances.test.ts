import {
  type BusSubscriber,
  type Cache,
  type CacheResult,
  createCache,
  createMemoryStore,
  type InvalidationBus,
  type InvalidationMessage,
  type PublishReport,
  type SharedStore,
  tagsForWrite,
} from '@ballast/cache'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  boundChecked,
  ClockCommand,
  KINDS,
  type Kind,
  keyOf,
  MAX_BYTES,
  SourceCommand,
  SourceDown,
  tagsOf,
  VALUE_BYTES,
  type Value,
} from './model-support'
import { ManualClock } from './support'

/**
 * The model of `model.test.ts`, extended to two cache instances that share a store and talk
 * over a bus whose messages arrive late, in any interleaving with everything else, or not at
 * all, and whose subscriptions and store can go down and come back.
 *
 * The bus stands for a transport like Redis pub/sub: every message gets the next number of
 * one sequence, each subscription receives its messages in order, confirms each after
 * applying it, and notices a number it skipped. A dropped message is one lost on the way;
 * a disconnected subscription loses what was on its way and is not counted as a receiver
 * until it reconnects, when it resets its cache if it is behind.
 *
 * Properties checked on every answer:
 * (a) a read that began after its instance applied a write (by invalidating it itself, by
 *     applying the bus message, or by resetting after the message was published) sees that
 *     write, unless flagged `stale` during a source failure, and never skips a hard one;
 * (b) a value loaded for one user is never returned for another;
 * (c) an instance never runs the loader twice at once for one key;
 * (d) no instance holds more bytes than maxBytes.
 * And once everything is connected again and the outboxes have drained, every instance
 * reads the newest revision of every user: no invalidation was lost.
 */

const USERS = [1, 2] as const
const INSTANCES = [0, 1] as const

type User = (typeof USERS)[number]
type Instance = (typeof INSTANCES)[number]

interface Write {
  readonly user: User
  readonly revision: number
  readonly hard: boolean
  /** The bus sequence number its message was published under, once it was. */
  sequence: number | undefined
}

interface Model {
  readonly revision: Map<User, number>
  /** Per instance and user, the newest revision its reads must see. */
  readonly committed: Array<Map<User, number>>
  /** The same, counting hard invalidations only. */
  readonly hardCommitted: Array<Map<User, number>>
  readonly writes: Write[]
  failing: boolean
  failures: number
  readonly running: Map<string, number>
  readonly violations: string[]
}

interface Real {
  readonly caches: readonly Cache[]
  readonly bus: Transport
  readonly store: ScheduledStore
  readonly clock: ManualClock
  readonly scheduler: fc.Scheduler
}

/** Marks a write's message with the write's index, so the model can follow it. */
const WRITE_TAG = 'write:'

function commit(model: Model, instance: Instance, write: Write): void {
  const raise = (map: Map<User, number>) =>
    map.set(write.user, Math.max(map.get(write.user) ?? 0, write.revision))

  raise(model.committed[instance] as Map<User, number>)
  if (write.hard) raise(model.hardCommitted[instance] as Map<User, number>)
}

/** One message on its way to one subscription. */
interface Delivery {
  readonly sequence: number
  readonly message: InvalidationMessage
  readonly publication: Publication
}

/** Collects the confirmations of one published message. */
class Publication {
  readonly report: Promise<PublishReport>
  #acknowledged = 0
  #lost = 0
  #resolve!: (report: PublishReport) => void

  constructor(readonly receivers: number) {
    this.report = new Promise((resolve) => {
      this.#resolve = resolve
    })
    this.#settle()
  }

  acknowledge(): void {
    this.#acknowledged++
    this.#settle()
  }

  lose(): void {
    this.#lost++
    this.#settle()
  }

  #settle(): void {
    if (this.#acknowledged + this.#lost < this.receivers) return

    this.#resolve({ receivers: this.receivers, acknowledged: this.#acknowledged })
  }
}

class Transport {
  sequence = 0
  readonly endpoints: Endpoint[]

  constructor(
    readonly model: Model,
    readonly scheduler: fc.Scheduler,
  ) {
    this.endpoints = INSTANCES.map((instance) => new Endpoint(instance, this))
  }

  published(message: InvalidationMessage, sequence: number): void {
    const index = message.tags.find((tag) => tag.startsWith(WRITE_TAG))
    const write = index === undefined ? undefined : this.model.writes[Number(index.slice(6))]
    if (write !== undefined) write.sequence = sequence
  }
}

/** One instance's subscription to the bus. */
class Endpoint implements InvalidationBus {
  connected = true
  applied = 0
  #inbox: Delivery[] = []
  #subscriber: BusSubscriber | undefined

  constructor(
    readonly instance: Instance,
    readonly transport: Transport,
  ) {}

  async publish(message: InvalidationMessage): Promise<PublishReport> {
    if (!this.connected) throw new Error('bus down')

    const sequence = ++this.transport.sequence
    const receivers = this.transport.endpoints.filter((endpoint) => endpoint.connected)
    const publication = new Publication(receivers.length)
    this.transport.published(message, sequence)

    for (const endpoint of receivers) endpoint.#enqueue({ sequence, message, publication })

    return publication.report
  }

  subscribe(subscriber: BusSubscriber): () => void {
    this.#subscriber = subscriber
    return () => {
      this.#subscriber = undefined
    }
  }

  /** Loses the next message on its way here. */
  drop(): void {
    this.#inbox.shift()?.publication.lose()
  }

  disconnect(): void {
    this.connected = false
    for (const delivery of this.#inbox.splice(0)) delivery.publication.lose()
  }

  /** Comes back, or checks it is in step: resets when it is behind the sequence. */
  reconnect(): void {
    this.connected = true
    if (this.applied < this.transport.sequence) this.#reset(this.transport.sequence)
    this.#subscriber?.connected()
  }

  #enqueue(delivery: Delivery): void {
    this.#inbox.push(delivery)
    void this.transport.scheduler
      .schedule(Promise.resolve(), `deliver to ${this.instance}`)
      .then(() => this.#deliver())
  }

  #deliver(): void {
    const delivery = this.#inbox.shift()
    if (delivery === undefined) return

    if (delivery.sequence > this.applied + 1) this.#reset(delivery.sequence - 1)
    if (delivery.sequence > this.applied) {
      this.#subscriber?.invalidate(delivery.message)
      this.applied = delivery.sequence

      const model = this.transport.model
      for (const tag of delivery.message.tags) {
        const write = tag.startsWith(WRITE_TAG) ? model.writes[Number(tag.slice(6))] : undefined
        if (write !== undefined) commit(model, this.instance, write)
      }
    }

    delivery.publication.acknowledge()
  }

  /** Resets the cache: it then sees every write published up to `sequence`. */
  #reset(sequence: number): void {
    this.#subscriber?.reset('behind the sequence')
    this.applied = sequence

    const model = this.transport.model
    for (const write of model.writes) {
      if (write.sequence !== undefined && write.sequence <= sequence) {
        commit(model, this.instance, write)
      }
    }
  }
}

/**
 * A memory store behind one ordered connection: calls take effect and answer in the order
 * they were made, each at a moment the scheduler picks; while `down`, calls fail.
 */
class ScheduledStore implements SharedStore {
  down = false
  readonly #store: SharedStore
  readonly #queue: Array<() => void> = []

  constructor(
    readonly scheduler: fc.Scheduler,
    clock: ManualClock,
  ) {
    this.#store = createMemoryStore({ clock })
  }

  read(...args: Parameters<SharedStore['read']>) {
    return this.#call(() => this.#store.read(...args))
  }

  write(...args: Parameters<SharedStore['write']>) {
    return this.#call(() => this.#store.write(...args))
  }

  invalidate(...args: Parameters<SharedStore['invalidate']>) {
    return this.#call(() => this.#store.invalidate(...args))
  }

  #call<T>(run: () => Promise<T>): Promise<T> {
    if (this.down) return Promise.reject(new Error('store down'))

    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => {
        if (this.down) reject(new Error('store down'))
        else run().then(resolve, reject)
      })
      void this.scheduler.schedule(Promise.resolve(), 'store').then(() => this.#queue.shift()?.())
    })
  }
}

class ReadCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly instance: Instance,
    readonly user: User,
    readonly kind: Kind,
  ) {}

  check(): boolean {
    return true
  }

  async run(model: Model, real: Real): Promise<void> {
    void read(model, real, this.instance, this.user, this.kind)
  }

  toString(): string {
    return `read(${this.instance}, ${this.user}, ${this.kind})`
  }
}

/** Starts a read; resolves once it was judged. */
function read(model: Model, real: Real, instance: Instance, user: User, kind: Kind) {
  const key = keyOf(user, kind)
  const running = `${instance}:${key}`
  const mustSee = model.committed[instance]?.get(user) ?? 0
  const mustSeeEvenStale = model.hardCommitted[instance]?.get(user) ?? 0
  const failuresAtStart = model.failures

  const loader = () => {
    const count = (model.running.get(running) ?? 0) + 1
    model.running.set(running, count)
    if (count > 1) model.violations.push(`(c) ${count} loads of ${running} at once`)

    const failing = model.failing
    const value: Value<User> = { user, kind, revision: model.revision.get(user) ?? 0 }

    return real.scheduler.schedule(Promise.resolve(), `load ${running}`).then(() => {
      model.running.set(running, (model.running.get(running) ?? 1) - 1)
      if (!failing) return value

      model.failures++
      throw new SourceDown(`source down for ${key}`)
    })
  }

  const judge = (result: CacheResult<Value<User>>) => {
    const { value, provenance } = result
    const what = `${provenance} read of ${user}/${kind} on ${instance}`

    if (value.user !== user || value.kind !== kind) {
      model.violations.push(`(b) ${what} got ${value.user}/${value.kind}`)
    }
    if (provenance !== 'stale' && value.revision < mustSee) {
      model.violations.push(`(a) ${what} saw ${value.revision} < ${mustSee}`)
    }
    if (provenance === 'stale' && value.revision < mustSeeEvenStale) {
      model.violations.push(`(a) ${what} skipped a hard invalidation`)
    }
    if (provenance === 'stale' && model.failures === failuresAtStart) {
      model.violations.push(`(a) ${what} without a failure`)
    }

    return result
  }

  const cache = real.caches[instance] as Cache
  return cache
    .getWithInfo<Value<User>>(key, loader, { tags: tagsOf(user, kind) })
    .then(judge, (error) => {
      if (!(error instanceof SourceDown)) model.violations.push(`unexpected error ${error}`)
      return undefined
    })
}

class WriteCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly instance: Instance,
    readonly user: User,
    readonly mode: 'hard' | 'soft',
    readonly by: 'tags' | 'keys',
  ) {}

  check(): boolean {
    return true
  }

  async run(model: Model, real: Real): Promise<void> {
    const revision = (model.revision.get(this.user) ?? 0) + 1
    model.revision.set(this.user, revision)

    const write: Write = {
      user: this.user,
      revision,
      hard: this.mode === 'hard',
      sequence: undefined,
    }
    const marker = `${WRITE_TAG}${model.writes.length}`
    model.writes.push(write)

    const target =
      this.by === 'tags'
        ? { tags: [...tagsForWrite('item:update', { user: this.user, id: this.user }), marker] }
        : { keys: KINDS.map((kind) => keyOf(this.user, kind)), tags: [marker] }

    // The writing instance applies it before invalidate() awaits anything; whether the rest
    // went well or not is followed through the bus.
    const cache = real.caches[this.instance] as Cache
    cache.invalidate({ ...target, mode: this.mode }).catch(() => undefined)
    commit(model, this.instance, write)
  }

  toString(): string {
    return `write(${this.instance}, ${this.user}, ${this.mode}, by ${this.by})`
  }
}

type Fault = 'drop' | 'disconnect' | 'reconnect' | 'store down' | 'store up' | 'retry'

class FaultCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly instance: Instance,
    readonly fault: Fault,
  ) {}

  check(): boolean {
    return true
  }

  async run(_model: Model, real: Real): Promise<void> {
    const endpoint = real.bus.endpoints[this.instance] as Endpoint

    if (this.fault === 'drop') endpoint.drop()
    else if (this.fault === 'disconnect') endpoint.disconnect()
    else if (this.fault === 'reconnect') endpoint.reconnect()
    else if (this.fault === 'store down') real.store.down = true
    else if (this.fault === 'store up') real.store.down = false
    else vi.advanceTimersByTime(2_000)
  }

  toString(): string {
    return `${this.fault}(${this.instance})`
  }
}

const instance = fc.constantFrom(...INSTANCES)
const user = fc.constantFrom(...USERS)
const faults: Fault[] = ['drop', 'disconnect', 'reconnect', 'store down', 'store up', 'retry']
const reads = fc
  .tuple(instance, user, fc.constantFrom(...KINDS))
  .map(([i, u, kind]) => new ReadCommand(i, u, kind))
const writes = fc
  .tuple(
    instance,
    user,
    fc.constantFrom('hard' as const, 'soft' as const),
    fc.constantFrom('tags' as const, 'keys' as const),
  )
  .map(([i, u, mode, by]) => new WriteCommand(i, u, mode, by))
// Reads and writes are listed more than once to weigh them above faults.
const commands = fc.commands(
  [
    reads,
    reads,
    reads,
    writes,
    writes,
    fc.tuple(instance, fc.constantFrom(...faults)).map(([i, fault]) => new FaultCommand(i, fault)),
    fc.boolean().map((failing) => new SourceCommand<Model, Real>(failing)),
    fc.integer({ min: 1, max: 3_000 }).map((ms) => new ClockCommand<Model, Real>(ms)),
  ],
  { maxCommands: 80, size: 'large' },
)

/** Lets every callback already queued run: one turn of the event loop. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Reconnects everything, drains both outboxes and lets every message arrive. */
async function heal(model: Model, real: Real): Promise<void> {
  real.store.down = false
  model.failing = false

  for (let round = 0; round < 20; round++) {
    await settle()
    for (const endpoint of real.bus.endpoints) endpoint.reconnect()
    vi.advanceTimersByTime(2_000)
    await real.scheduler.waitAll()
    await settle()

    const drained = real.caches.every((cache) => cache.stats().pendingInvalidations === 0)
    if (drained && real.scheduler.count() === 0) break
  }

  for (const endpoint of real.bus.endpoints) endpoint.reconnect()
  await real.scheduler.waitAll()
}

describe('two cache instances with a shared store and a lossy bus, against a model', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('holds properties (a) to (d) on both instances and loses no invalidation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), commands, async (scheduler, cmds) => {
        const clock = new ManualClock()
        const model: Model = {
          revision: new Map(),
          committed: INSTANCES.map(() => new Map()),
          hardCommitted: INSTANCES.map(() => new Map()),
          writes: [],
          failing: false,
          failures: 0,
          running: new Map(),
          violations: [],
        }
        const bus = new Transport(model, scheduler)
        const store = new ScheduledStore(scheduler, clock)
        const caches = INSTANCES.map((i) =>
          createCache({
            clock,
            store,
            bus: bus.endpoints[i],
            ttlMs: 1_000,
            graceMs: 5_000,
            maxBytes: MAX_BYTES,
            maxEntryBytes: MAX_BYTES,
            maxPendingBytes: 1_200,
            sizeOf: () => VALUE_BYTES,
          }),
        )
        const real: Real = { caches, bus, store, clock, scheduler }
        const checked = [...cmds].map((command) =>
          boundChecked(command, MAX_BYTES, (real) => real.caches),
        )

        await fc.scheduledModelRun(scheduler, () => ({ model, real }), checked)
        await scheduler.waitAll()
        await heal(model, real)

        for (const i of INSTANCES) {
          for (const u of USERS) {
            for (const kind of KINDS) {
              const reading = read(model, real, i, u, kind)
              const result = await scheduler.waitFor(reading)
              const newest = model.revision.get(u) ?? 0
              if (result?.value.revision !== newest || result.provenance === 'stale') {
                model.violations.push(
                  `after healing, ${i} read ${u}/${kind} as ${result?.provenance} ` +
                    `${result?.value.revision} instead of ${newest}`,
                )
              }
            }
          }
        }
        for (const cache of caches) cache.close()

        expect(model.violations).toEqual([])
      }),
      { numRuns: 1_000 },
    )
  })
})

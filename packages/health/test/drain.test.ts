import { once } from 'node:events'
import { Agent, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  CloserTimeoutError,
  createHealth,
  createNodeHandler,
  type DrainPhase,
  HealthClosedError,
  trackNodeRequests,
} from '@ballast/health'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { deferred, fakeClock, flush, rejectionOf } from './support'

afterEach(() => {
  vi.useRealTimers()
})

/** A server double that records what the drain does to it. */
function fakeServer(log: string[]) {
  let closed: ((error?: Error) => void) | undefined
  return {
    close(callback?: (error?: Error) => void) {
      log.push('server.close')
      closed = callback
    },
    closeIdleConnections() {
      log.push('server.closeIdleConnections')
    },
    closeAllConnections() {
      log.push('server.closeAllConnections')
      closed?.()
    },
    /** The last connection ended. */
    finish() {
      closed?.()
    },
  }
}

describe('drain', () => {
  it('turns readiness to 503 at once and keeps liveness passing', async () => {
    vi.useFakeTimers()
    const health = createHealth({ checks: [{ name: 'postgres', run: () => undefined }] })
    await health.start()
    const starts: unknown[] = []
    health.on('drainStart', (event) => starts.push(event))
    health.beginRequest()

    void health.drain({ reason: 'SIGTERM' })
    expect(health.draining).toBe(true)
    expect(health.readiness()).toMatchObject({ status: 'fail', output: 'draining' })
    expect(health.liveness()).toEqual({ status: 'pass' })
    expect(starts).toEqual([{ reason: 'SIGTERM', inFlight: 1, at: Date.now() }])
    health.close()
  })

  it('keeps serving for readinessDelayMs before the servers stop accepting', async () => {
    vi.useFakeTimers()
    const log: string[] = []
    const health = createHealth({ readinessDelayMs: 5_000 })
    health.addServer('http', fakeServer(log))

    void health.drain()
    await vi.advanceTimersByTimeAsync(4_999)
    expect(log).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(log.slice(0, 2)).toEqual(['server.close', 'server.closeIdleConnections'])
    health.close()
  })

  it('waits for requests in flight and ends the grace period as soon as they finish', async () => {
    vi.useFakeTimers()
    const log: string[] = []
    const clock = fakeClock()
    const health = createHealth({ clock, readinessDelayMs: 0, graceMs: 10_000 })
    const server = fakeServer(log)
    health.addServer('http', server)
    health.addCloser('pool', () => {
      log.push('pool')
    })
    const done = health.beginRequest()

    const drained = health.drain()
    await vi.advanceTimersByTimeAsync(0)
    expect(log).toEqual(['server.close', 'server.closeIdleConnections'])
    clock.advance(1_200)
    done()
    done()
    await flush()
    expect(health.inFlight).toBe(0)
    expect(log.at(-1)).toBe('server.closeIdleConnections')
    server.finish()

    const summary = await drained
    expect(log.at(-1)).toBe('pool')
    expect(summary).toMatchObject({
      requestsInFlight: 1,
      requestsAbandoned: 0,
      graceExpired: false,
      aborted: false,
      durationMs: 1_200,
    })
  })

  it('closes every connection once the grace period runs out', async () => {
    vi.useFakeTimers()
    const log: string[] = []
    const health = createHealth({ readinessDelayMs: 0, graceMs: 10_000 })
    health.addServer('http', fakeServer(log))
    health.beginRequest()

    const drained = health.drain()
    await vi.advanceTimersByTimeAsync(9_999)
    expect(log).not.toContain('server.closeAllConnections')
    await vi.advanceTimersByTimeAsync(1)

    const summary = await drained
    expect(log).toContain('server.closeAllConnections')
    expect(summary).toMatchObject({ requestsInFlight: 1, requestsAbandoned: 1, graceExpired: true })
    expect(summary.closers).toEqual([
      { name: 'http', kind: 'server', status: 'closed', durationMs: 10_000 },
    ])
  })

  it('runs closers in the order registered, each under its timeout, past failures', async () => {
    vi.useFakeTimers()
    const order: string[] = []
    const failures: unknown[] = []
    let hungSignal: AbortSignal | undefined
    const health = createHealth({ readinessDelayMs: 0, closerTimeoutMs: 5_000 })
    const boom = new Error('pool.end failed')
    health.addCloser('server-side', () => {
      order.push('server-side')
    })
    health.addCloser('pool', async () => {
      order.push('pool')
      throw boom
    })
    health.addCloser(
      'redis',
      (signal) => {
        order.push('redis')
        hungSignal = signal
        return new Promise(() => undefined)
      },
      { timeoutMs: 1_000 },
    )
    health.addCloser('metrics', () => {
      order.push('metrics')
    })
    health.on('closerFailure', (event) => failures.push(event))

    const drained = health.drain()
    await vi.advanceTimersByTimeAsync(1_000)
    const summary = await drained

    expect(order).toEqual(['server-side', 'pool', 'redis', 'metrics'])
    expect(summary.closers.map(({ name, status }) => [name, status])).toEqual([
      ['server-side', 'closed'],
      ['pool', 'failed'],
      ['redis', 'timedOut'],
      ['metrics', 'closed'],
    ])
    expect(summary.closers[1]?.error).toBe(boom)
    expect(summary.closers[2]?.error).toBeInstanceOf(CloserTimeoutError)
    expect(hungSignal?.reason).toBe(summary.closers[2]?.error)
    expect(failures).toEqual([
      { name: 'pool', kind: 'closer', error: boom, timedOut: false, durationMs: 0 },
      {
        name: 'redis',
        kind: 'closer',
        error: summary.closers[2]?.error,
        timedOut: true,
        durationMs: 1_000,
      },
    ])
  })

  it('emits its phases, then drainEnd, and closes the health object', async () => {
    const phases: DrainPhase[] = []
    const health = createHealth({ readinessDelayMs: 0 })
    health.on('drainPhase', (event) => phases.push(event.phase))
    const ends: unknown[] = []
    health.on('drainEnd', (summary) => ends.push(summary))

    const summary = await health.drain({ reason: 'deploy' })
    expect(phases).toEqual(['readiness-delay', 'stop-accepting', 'grace', 'closers'])
    expect(ends).toEqual([summary])
    expect(summary.reason).toBe('deploy')
    expect(health.closed).toBe(true)
    expect(health.liveness().status).toBe('fail')
  })

  it('returns the same promise when called again, and rejects once closed', async () => {
    const health = createHealth({ readinessDelayMs: 0 })

    const first = health.drain()
    expect(health.drain()).toBe(first)
    await first
    const other = createHealth()
    other.close()
    expect(await rejectionOf(other.drain())).toBeInstanceOf(HealthClosedError)
  })

  it('cuts the readiness delay and the grace period short when its signal aborts', async () => {
    vi.useFakeTimers()
    const log: string[] = []
    const health = createHealth({ readinessDelayMs: 60_000, graceMs: 60_000 })
    health.addServer('http', fakeServer(log))
    health.addCloser('pool', () => {
      log.push('pool')
    })
    health.beginRequest()
    const controller = new AbortController()

    const drained = health.drain({ signal: controller.signal })
    await vi.advanceTimersByTimeAsync(1_000)
    controller.abort()
    const summary = await drained

    expect(log).toEqual([
      'server.close',
      'server.closeIdleConnections',
      'server.closeAllConnections',
      'pool',
    ])
    expect(summary).toMatchObject({ aborted: true, graceExpired: false, requestsAbandoned: 1 })
  })

  it('treats a server that never listened as closed', async () => {
    const health = createHealth({ readinessDelayMs: 0 })
    health.addServer('http', createServer())

    const summary = await health.drain()
    expect(summary.closers).toEqual([
      { name: 'http', kind: 'server', status: 'closed', durationMs: expect.any(Number) },
    ])
  })

  it('skips servers and closers that were removed', async () => {
    const health = createHealth({ readinessDelayMs: 0 })
    const closer = vi.fn()
    health.addCloser('pool', closer)()
    health.addServer('http', fakeServer([]))()

    const summary = await health.drain()
    expect(closer).not.toHaveBeenCalled()
    expect(summary.closers).toEqual([])
  })

  it('rejects bad options', async () => {
    const health = createHealth()

    expect(await rejectionOf(health.drain({ graceMs: -1 }))).toBeInstanceOf(RangeError)
    expect(health.draining).toBe(false)
    expect(() => health.addCloser('', vi.fn())).toThrow(
      'health.addCloser: name must be a non-empty string, received ""',
    )
    expect(() => health.addServer('http', {} as never)).toThrow(
      'health.addServer: server must be an object with a close() method, received an object',
    )
  })
})

interface Answer {
  readonly status: number
  readonly body: string
  readonly connection: string | undefined
}

function get(port: number, path: string, id: string, agent: Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, path, agent, headers: { 'x-id': id } },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.on('error', reject)
        response.on('end', () => {
          const { connection } = response.headers
          resolve({ status: response.statusCode ?? 0, body, connection })
        })
      },
    )
    outgoing.on('error', reject)
    outgoing.end()
  })
}

describe('drain over a real port', () => {
  it('loses no accepted request, 503s before closing, runs closers in order', async () => {
    // Only the drain's timers are faked; sockets run for real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const health = createHealth({ clock: fakeClock(), readinessDelayMs: 5_000, graceMs: 10_000 })
    const answerHealth = createNodeHandler(health)
    const accepted = new Set<string>()
    const slow = { entered: deferred(), release: deferred() }
    const server = createServer(async (incoming, response) => {
      if (answerHealth(incoming, response)) return
      const id = String(incoming.headers['x-id'])
      accepted.add(id)
      if (incoming.url === '/slow') {
        slow.entered.resolve()
        await slow.release.promise
      }
      response.end(id)
    })
    trackNodeRequests(health, server)
    health.addServer('http', server)
    const order: string[] = []
    health.addCloser('pool', () => {
      order.push('pool')
    })
    health.addCloser('redis', () => {
      order.push('redis')
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo

    // Three clients loop on keep-alive connections until the port refuses them.
    const agent = new Agent({ keepAlive: true, maxSockets: 3 })
    const succeeded = new Map<string, Answer>()
    const failed: Array<{ id: string; code: unknown }> = []
    let waiting: { count: number; reached: () => void } | undefined
    const successes = (count: number) =>
      new Promise<void>((reached) => {
        waiting = { count: succeeded.size + count, reached }
      })
    const loop = async (client: number) => {
      for (let i = 0; ; i++) {
        const id = `${client}-${i}`
        try {
          const answer = await get(port, '/work', id, agent)
          if (answer.status === 200 && answer.body === id) succeeded.set(id, answer)
          else failed.push({ id, code: answer.status })
          if (waiting !== undefined && succeeded.size >= waiting.count) waiting.reached()
        } catch (error) {
          const code = (error as { code?: unknown }).code
          failed.push({ id, code })
          if (code === 'ECONNREFUSED') return
        }
      }
    }
    const loops = [loop(1), loop(2), loop(3)]
    await successes(30)
    const slowAnswer = get(port, '/slow', 'slow', false)
    await slow.entered.promise

    const phases: DrainPhase[] = []
    const grace = new Promise<void>((entered) => {
      health.on('drainPhase', ({ phase }) => {
        phases.push(phase)
        if (phase === 'grace') entered()
      })
    })
    const drained = health.drain({ reason: 'SIGTERM' })
    const ready = await get(port, '/health/ready', 'probe', false)
    expect(ready.status).toBe(503)
    expect(server.listening).toBe(true)
    await successes(30)
    const duringDelay = [...succeeded.values()].slice(-10)
    expect(duringDelay.every((answer) => answer.connection === 'close')).toBe(true)

    await vi.advanceTimersByTimeAsync(5_000)
    await grace
    expect(server.listening).toBe(false)
    await Promise.all(loops)
    expect(health.inFlight).toBe(1)
    expect(order).toEqual([])

    slow.release.resolve()
    expect(await slowAnswer).toMatchObject({ status: 200, body: 'slow' })
    const summary = await drained
    agent.destroy()

    for (const id of accepted) expect(succeeded.has(id) || id === 'slow').toBe(true)
    for (const { id, code } of failed) {
      expect(accepted.has(id)).toBe(false)
      expect(['ECONNREFUSED', 'ECONNRESET']).toContain(code)
    }
    expect(phases).toEqual(['readiness-delay', 'stop-accepting', 'grace', 'closers'])
    expect(order).toEqual(['pool', 'redis'])
    expect(summary.closers.map(({ name, status }) => [name, status])).toEqual([
      ['http', 'closed'],
      ['pool', 'closed'],
      ['redis', 'closed'],
    ])
    expect(summary.requestsInFlight).toBeGreaterThanOrEqual(1)
    expect(summary).toMatchObject({ graceExpired: false, requestsAbandoned: 0 })
  })
})

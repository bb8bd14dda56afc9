import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Redis, type RedisOptions } from 'ioredis'

/** The Redis the suites run against; they are skipped without it. */
export const redisUrl = process.env.REDIS_URL

/** A name no other test uses, for namespaces and channels. */
export function unique(prefix: string): string {
  return `test-${prefix}-${randomBytes(6).toString('hex')}`
}

/** Opens a client and waits until it is ready. */
export async function connect(url: string, options: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, ...options })
  redis.on('error', () => undefined)
  await redis.connect()

  return redis
}

/** Deletes every key under `prefix:`. */
export async function removeKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== '0')
}

/** Lets every callback already queued run: one turn of the event loop. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * Polls `condition` until it holds, for conditions that depend on a real delay (a server
 * starting); gives up after `attempts` polls `everyMs` apart.
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  attempts = 200,
  everyMs = 25,
): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }

  throw new Error(`gave up waiting for ${what}`)
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')

  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** A `redis-server` of the test's own, without persistence, that it may stop and start. */
export class RedisServer {
  #process: ChildProcess | undefined

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: 'ignore' },
    )
    this.#process = child
    await eventually(async () => {
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null })
      probe.on('error', () => undefined)
      try {
        await probe.connect()
        return (await probe.ping()) === 'PONG'
      } catch {
        return false
      } finally {
        probe.disconnect()
      }
    }, `redis-server on port ${this.port}`)
  }

  async stop(): Promise<void> {
    const child = this.#process
    this.#process = undefined
    if (child === undefined || child.exitCode !== null) return

    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
}

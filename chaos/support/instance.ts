import { readdir, readFile, readlink } from 'node:fs/promises'
import {
  type ChildServer,
  startChildServer,
} from '../../examples/property-api/test/support/child-server'
import { createClient, jsonOf } from './http'

/** An example server running in a process of its own, the way `npm start` runs it. */
export interface Instance {
  /** Where it listens. */
  readonly url: string
  /** Its process id. */
  readonly pid: number
  /** Every log line it wrote, parsed. */
  readonly logs: ReadonlyArray<Record<string, unknown>>
  /** Resolves once the process ended. */
  readonly exited: ChildServer['exited']
  /** The last 8 KiB the process wrote to stderr. */
  stderr(): string
  /** Whether it ended without being told to (no `signal()`, no `kill()`). */
  readonly crashed: boolean
  /** Its Prometheus figures, one number per series (`name{labels}`). */
  metrics(): Promise<Map<string, number>>
  /** `GET /health-enhanced/system`, parsed. */
  report(): Promise<HealthReport>
  /** Memory and open sockets, from `/proc` and `/metrics`. */
  sample(): Promise<ProcessSample>
  /** Sends a signal (SIGTERM drains). */
  signal(name: NodeJS.Signals): void
  /** Ends the process at once if it still runs, and waits for it. */
  kill(): Promise<void>
}

/** The parts of the health report the scenarios read. */
export interface HealthReport {
  /** `pass`, `warn` or `fail`. */
  readonly status: string
  /** Every entry by its key (`pg:list_properties:circuit`, `reads:resets`...). */
  readonly checks: Readonly<
    Record<string, ReadonlyArray<{ observedValue?: unknown; status?: string; output?: string }>>
  >
}

/** A process's memory and sockets at one moment. */
export interface ProcessSample {
  /** `performance.now()` of the runner when sampled. */
  readonly at: number
  /** V8's heap in use, garbage not yet collected included. */
  readonly heapUsedBytes: number
  /** Resident memory of the process. */
  readonly rssBytes: number
  /** Open file descriptors that are sockets (listeners, HTTP, PostgreSQL); -1 without /proc. */
  readonly sockets: number
  /** The cache's own measure of the bytes it holds. */
  readonly cacheBytes: number
  /** Entries the cache holds. */
  readonly cacheEntries: number
  /** Entries evicted by the byte bound since start. */
  readonly cacheEvictions: number
}

/** What to start an instance with. */
export interface InstanceOptions {
  /** `DATABASE_URL` (usually through a fault proxy). */
  readonly databaseUrl: string
  /** `REDIS_URL`, if any. */
  readonly redisUrl?: string | undefined
  /** More environment variables (`DRAIN_DELAY_MS`...). */
  readonly env?: Readonly<Record<string, string>>
}

/**
 * Starts `examples/property-api/src/main.ts` on a free port and waits for its `listening`
 * line (at most 60 s).
 */
export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: 'info',
    ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
    ...options.env,
  }
  // A REDIS_URL in the runner's own environment must not reach a server that was not given one.
  if (options.redisUrl === undefined) env.REDIS_URL = ''

  let timer: NodeJS.Timeout | undefined
  const started = await Promise.race([
    startChildServer(env),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60_000)
      timer.unref()
    }),
  ]).finally(() => clearTimeout(timer))

  const client = createClient(started.url, { maxSockets: 4, timeoutMs: 10_000 })
  const pid = started.process.pid as number
  let stderr = ''
  started.process.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8_192)
  })
  let told = false
  let crashed = false
  started.exited.then(() => {
    crashed = !told
  })

  const metrics = async () => {
    const answer = await client.send({ method: 'GET', path: '/metrics' })
    return parseMetrics(answer.text)
  }

  return {
    url: started.url,
    pid,
    logs: started.logs,
    exited: started.exited,
    stderr: () => stderr,
    get crashed() {
      return crashed
    },
    metrics,
    async report() {
      const answer = await client.send({ method: 'GET', path: '/health-enhanced/system' })
      return (jsonOf(answer) ?? { status: 'unknown', checks: {} }) as HealthReport
    },
    async sample() {
      const figures = await metrics()
      const cache = (figure: string) => figures.get(`ballast_cache{figure="${figure}"}`) ?? 0
      return {
        at: performance.now(),
        heapUsedBytes: figures.get('nodejs_heap_size_used_bytes') ?? 0,
        rssBytes: figures.get('process_resident_memory_bytes') ?? 0,
        sockets: await socketCount(pid),
        cacheBytes: cache('bytes'),
        cacheEntries: cache('entries'),
        cacheEvictions: cache('evictions'),
      }
    },
    signal(name) {
      told = true
      if (started.process.exitCode === null) started.process.kill(name)
    },
    async kill() {
      told = true
      client.close()
      if (started.process.exitCode === null && started.process.signalCode === null) {
        started.process.kill('SIGKILL')
      }
      await started.exited
      // tsx's esbuild helper, a child of the server, may hold the server's stdout and stderr
      // open for a moment after the server died; closing our ends lets this process exit.
      started.process.stdout?.destroy()
      started.process.stderr?.destroy()
    },
  }
}

/** Parses Prometheus text into `name{labels}` → value, skipping comments. */
export function parseMetrics(text: string): Map<string, number> {
  const figures = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    figures.set(line.slice(0, space), Number(line.slice(space + 1)))
  }

  return figures
}

/** Open socket descriptors of a process, from `/proc/<pid>/fd`; -1 where there is none. */
async function socketCount(pid: number): Promise<number> {
  try {
    const fds = await readdir(`/proc/${pid}/fd`)
    const links = await Promise.all(
      fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')),
    )
    return links.filter((link) => link.startsWith('socket:')).length
  } catch {
    return -1
  }
}

/** Resident memory of a process from `/proc/<pid>/status`, in bytes; 0 where there is none. */
export async function residentBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
    return kib === undefined ? 0 : Number(kib) * 1024
  } catch {
    return 0
  }
}

/** The circuit states in a health report: breaker name (`pg:list_properties`) → state. */
export function circuitsOf(report: HealthReport): Map<string, { state: string; output: string }> {
  const circuits = new Map<string, { state: string; output: string }>()
  for (const [key, entries] of Object.entries(report.checks)) {
    const match = /^(.+):circuit$/.exec(key)
    const entry = entries[0]
    if (match === null || entry === undefined) continue
    circuits.set(match[1] as string, {
      state: String(entry.observedValue),
      output: entry.output ?? '',
    })
  }

  return circuits
}

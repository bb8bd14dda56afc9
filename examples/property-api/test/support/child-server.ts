import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const EXAMPLE_DIR = fileURLToPath(new URL('../..', import.meta.url))

/** A server started the way `npm start` starts it, in a process of its own. */
export interface ChildServer {
  /** Where it listens. */
  readonly url: string
  readonly process: ChildProcess
  /** Every log line it wrote, parsed. */
  readonly logs: ReadonlyArray<Record<string, unknown>>
  /** Resolves with the exit code and signal once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** A cache namespace no other test run uses, so servers sharing a Redis keep apart. */
export function testNamespace(): string {
  return `property-api-test:${randomBytes(6).toString('hex')}`
}

/**
 * Starts `src/main.ts` with `env` on top of this process's environment. Unless `env` names
 * one, the server gets a namespace of its own: test runs share the one Redis of the machine.
 */
export function startChildServer(env: Record<string, string>): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: EXAMPLE_DIR,
    env: {
      ...process.env,
      PORT: '0',
      LOG_LEVEL: 'info',
      CACHE_NAMESPACE: testNamespace(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Array<Record<string, unknown>> = []
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })

  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    lines.on('line', (line) => {
      const entry = parse(line)
      logs.push(entry)
      if (entry.msg === 'listening' && typeof entry.url === 'string') {
        resolve({ url: entry.url, process: child, logs, exited })
      }
    })
    exited.then(({ code }) => reject(new Error(`server exited with ${code}: ${stderr}`)))
  })
}

function parse(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    return { msg: line }
  }
}

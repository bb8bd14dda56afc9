import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** A server in a process of its own, and where it listens. */
export interface ServerProcess {
  readonly url: string
  stop(): Promise<void>
}

/**
 * Starts `script` with tsx in `cwd` and resolves once it logged its `listening` line (the
 * example logs it with pino, the bare server by hand). Its other output is dropped.
 */
export function startServerProcess(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })

  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    lines.on('line', (line) => {
      const url = listeningUrl(line)
      if (url !== undefined) resolve({ url, stop: () => stop(child) })
    })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr}`)))
  })
}

/** The example server's folder. */
export const EXAMPLE_DIR = fileURLToPath(new URL('../../examples/property-api/', import.meta.url))

/** This folder. */
export const HERE = fileURLToPath(new URL('./', import.meta.url))

function listeningUrl(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown }
    return entry.msg === 'listening' && typeof entry.url === 'string' ? entry.url : undefined
  } catch {
    return undefined
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()

  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

import { readFile } from 'node:fs/promises'
import { checkCompatibility, parseManifest } from './compatibility'
import { fromPgPool, type PgPoolLike } from './from-pg'
import type { Queryable } from './queryable'

/** A database connection the command opened, and how to close it. */
export interface CheckConnection {
  /** The connection. */
  readonly db: Queryable
  /** Closes it. */
  close(): Promise<void>
}

/** Where `runCheck` writes and how it connects; every field has a default. */
export interface CheckIo {
  /** Receives the report. @default process.stdout */
  readonly stdout?: { write(text: string): unknown }
  /** Receives usage and connection errors. @default process.stderr */
  readonly stderr?: { write(text: string): unknown }
  /** Opens a connection to a URL. @default a `pg.Pool` loaded with `import('pg')` */
  readonly connect?: (url: string) => Promise<CheckConnection>
}

const usage = `Usage: ballast-pg check --manifest <file> [--database-url <url>]
                        [--schema <name>] [--json]

Checks that the database serves every function the manifest declares. The URL defaults to
the DATABASE_URL environment variable. Exit codes: 0 compatible, 1 missing or breaking
functions, 2 usage or connection error.
`

interface PgModule {
  Pool: new (config: {
    connectionString: string
    max?: number
  }) => PgPoolLike & {
    end(): Promise<void>
  }
}

async function connectWithPg(url: string): Promise<CheckConnection> {
  const loaded = (await import('pg')) as unknown as PgModule & { default?: PgModule }
  const pg = loaded.default ?? loaded
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  return { db: fromPgPool(pool), close: () => pool.end() }
}

function parseArgs(argv: readonly string[]) {
  const [command, ...rest] = argv
  const flags = new Map<string, string | true>()
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? ''
    if (!arg.startsWith('--')) return { error: `unexpected argument ${arg}` }
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined]
    if (key === 'json' || key === 'help') flags.set(key, true)
    else if (inline !== undefined) flags.set(key, inline)
    else {
      const value = rest[i + 1]
      if (value === undefined) return { error: `--${key} needs a value` }
      flags.set(key, value)
      i++
    }
  }
  return { command, flags }
}

/**
 * Runs `ballast-pg check` and resolves to its exit code: 0 when the database serves the
 * manifest, 1 when a function is missing or breaking, 2 on a usage or connection error.
 *
 * @example
 * ```ts
 * const code = await runCheck(['check', '--manifest', 'manifest.json'], process.env)
 * ```
 */
export async function runCheck(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CheckIo = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout
  const stderr = io.stderr ?? process.stderr
  const parsed = parseArgs(argv)
  if ('error' in parsed || parsed.command !== 'check' || parsed.flags.has('help')) {
    if ('error' in parsed) stderr.write(`ballast-pg: ${parsed.error}\n`)
    stderr.write(usage)
    return 2
  }

  const { flags } = parsed
  const manifestPath = flags.get('manifest')
  const url = flags.get('database-url') ?? env.DATABASE_URL
  const schema = flags.get('schema')
  if (typeof manifestPath !== 'string' || typeof url !== 'string' || schema === true) {
    stderr.write('ballast-pg: --manifest and a database URL are required\n')
    stderr.write(usage)
    return 2
  }

  let connection: CheckConnection | undefined
  try {
    const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')))
    connection = await (io.connect ?? connectWithPg)(url)
    const options = schema === undefined ? {} : { schema }
    const report = await checkCompatibility(connection.db, manifest, options)

    if (flags.has('json')) stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    else {
      for (const entry of report.functions) {
        stdout.write(`${entry.status.padEnd(8)} ${entry.name}: ${entry.message}\n`)
      }
    }
    return report.ok ? 0 : 1
  } catch (error) {
    stderr.write(`ballast-pg: ${error instanceof Error ? error.message : String(error)}\n`)
    return 2
  } finally {
    await connection?.close()
  }
}

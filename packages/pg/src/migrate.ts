import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ChecksumMismatchError, MigrationError, MigrationLintError } from './errors'
import { quoteIdent } from './identifiers'
import { install, type RegistryOptions, registrySchema } from './install'
import { lintMigration } from './lint'
import type { Queryable, TransactionQueryable } from './queryable'
import { readVersions } from './registry'

/** How `migrate` runs. */
export interface MigrateOptions extends RegistryOptions {
  /**
   * Lint pending files before applying any, and refuse when one breaks running versions
   * without an annotation.
   * @default true
   */
  readonly lint?: boolean
}

/** What `migrate` or `migrateDown` did. */
export interface MigrationResult {
  /** The migration ids (file names) applied or reverted, in the order it happened. */
  readonly migrations: readonly string[]
}

interface MigrationFile {
  readonly id: string
  readonly up: string
  readonly down: string | null
  readonly checksum: string
}

interface AppliedRow {
  id: string
  checksum: string
  down_sql: string | null
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const names = await readdir(dir)
  const ups = names
    .filter((n) => n.endsWith('.sql') && !n.endsWith('.down.sql'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))

  return Promise.all(
    ups.map(async (id) => {
      const up = await readFile(join(dir, id), 'utf8')
      const downName = id.replace(/\.sql$/, '.down.sql')
      const down = names.includes(downName) ? await readFile(join(dir, downName), 'utf8') : null
      return { id, up, down, checksum: sha256(up) }
    }),
  )
}

function lockMigrations(tx: TransactionQueryable, schema: string) {
  return tx.query('select pg_advisory_xact_lock(hashtext($1))', [`ballast-pg:${schema}:migrations`])
}

async function callableNames(db: Queryable, schema: string): Promise<string[]> {
  const versions = await readVersions(db, schema)
  return versions.filter((v) => v.droppedAt === null).map((v) => v.physicalName)
}

/**
 * Applies the `.sql` files of `dir` that have not run yet, in numeric-aware name order
 * (`2_x.sql` before `10_x.sql`), each in its own transaction under an advisory lock,
 * recording its SHA-256 and, when a `<name>.down.sql` file sits beside it, its down
 * script. Before applying anything it refuses an applied file whose checksum changed
 * and, unless `lint: false`, a pending file the linter flags. It installs the registry
 * first. Statements that cannot run in a transaction (`create index concurrently`) are
 * not supported.
 *
 * @example
 * ```ts
 * const { migrations } = await migrate(db, new URL('./migrations', import.meta.url).pathname)
 * ```
 */
export async function migrate(
  db: Queryable,
  dir: string,
  options?: MigrateOptions,
): Promise<MigrationResult> {
  const schema = registrySchema(options)
  await install(db, { schema })
  const files = await readMigrationFiles(dir)
  const table = `${quoteIdent(schema)}.migrations`
  const { rows } = await db.query<AppliedRow>(`select id, checksum, down_sql from ${table}`, [])
  const applied = new Map(rows.map((row) => [row.id, row]))

  for (const file of files) {
    const recorded = applied.get(file.id)
    if (recorded && recorded.checksum !== file.checksum) {
      throw new ChecksumMismatchError(file.id, recorded.checksum, file.checksum)
    }
  }
  const pending = files.filter((file) => !applied.has(file.id))
  if (options?.lint !== false) {
    const callable = await callableNames(db, schema)
    for (const file of pending) {
      const findings = lintMigration(file.up, { callable })
      if (findings.length > 0) throw new MigrationLintError(file.id, findings)
    }
  }

  const done: string[] = []
  for (const file of pending) {
    if (await applyOne(db, schema, file)) done.push(file.id)
  }
  return { migrations: done }
}

async function applyOne(db: Queryable, schema: string, file: MigrationFile): Promise<boolean> {
  const table = `${quoteIdent(schema)}.migrations`
  try {
    return await db.transaction(async (tx) => {
      await lockMigrations(tx, schema)
      const again = await tx.query(`select 1 from ${table} where id = $1`, [file.id])
      if (again.rows.length > 0) return false // another instance applied it meanwhile

      await tx.query(file.up)
      await tx.query(`insert into ${table} (id, checksum, down_sql) values ($1, $2, $3)`, [
        file.id,
        file.checksum,
        file.down,
      ])
      return true
    })
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new MigrationError(`Migration ${file.id} failed and was rolled back: ${reason}`, {
      cause,
    })
  }
}

/**
 * Reverts the last `steps` applied migrations, newest first, each in its own transaction,
 * by running the down script recorded when it was applied (the file on disk is not
 * read). Refuses before reverting anything when one of them has no down script. A
 * migration another instance reverted meanwhile is skipped, not reverted twice; the
 * result lists only what this call reverted.
 *
 * @example
 * ```ts
 * await migrateDown(db, 1)
 * ```
 */
export async function migrateDown(
  db: Queryable,
  steps: number,
  options?: RegistryOptions,
): Promise<MigrationResult> {
  const schema = registrySchema(options)
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new RangeError(`migrateDown: steps must be a positive integer, received ${steps}`)
  }
  const table = `${quoteIdent(schema)}.migrations`
  const { rows } = await db.query<AppliedRow>(
    `select id, checksum, down_sql from ${table} order by applied_order desc limit $1`,
    [steps],
  )
  const missing = rows.filter((row) => row.down_sql === null).map((row) => row.id)
  if (missing.length > 0) {
    throw new MigrationError(`No down script recorded for ${missing.join(', ')}; nothing reverted`)
  }

  const done: string[] = []
  for (const row of rows) {
    if (await revertOne(db, schema, row)) done.push(row.id)
  }
  return { migrations: done }
}

async function revertOne(db: Queryable, schema: string, row: AppliedRow): Promise<boolean> {
  const table = `${quoteIdent(schema)}.migrations`
  try {
    return await db.transaction(async (tx) => {
      await lockMigrations(tx, schema)
      const still = await tx.query(`select 1 from ${table} where id = $1`, [row.id])
      if (still.rows.length === 0) return false // another instance reverted it meanwhile

      await tx.query(row.down_sql ?? '')
      await tx.query(`delete from ${table} where id = $1`, [row.id])
      return true
    })
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new MigrationError(`Reverting ${row.id} failed and was rolled back: ${reason}`, {
      cause,
    })
  }
}

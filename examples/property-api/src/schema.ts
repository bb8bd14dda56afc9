import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { activate, deployFunction, migrate, type Queryable } from '@ballast/pg'

/** Where the SQL of this server lives. */
const DB_DIR = new URL('../db/', import.meta.url)

/** The folder of ordered migration files that create the tables. */
export const MIGRATIONS_DIR = new URL('migrations/', DB_DIR).pathname

/** The folder of versioned function definitions, one file per `<name>.v<version>.sql`. */
export const FUNCTIONS_DIR = new URL('functions/', DB_DIR).pathname

/** One versioned function definition read from {@link FUNCTIONS_DIR}. */
export interface FunctionFile {
  /** The logical name, as the server calls it. */
  readonly name: string
  /** The version number from the file name. */
  readonly version: number
  /** The `create function` statement. */
  readonly sql: string
}

/** What {@link prepareDatabase} did. */
export interface Preparation {
  /** Migration files applied now (empty when the tables were up to date). */
  readonly migrations: readonly string[]
  /** Function versions created now, as `name__vN`. */
  readonly deployed: readonly string[]
  /** Functions whose active version changed now, as `name: vA -> vB`. */
  readonly activated: readonly string[]
}

const FILE_PATTERN = /^([a-z_][a-z0-9_]*)\.v([1-9][0-9]*)\.sql$/

/** Reads the versioned function files, ordered by name and version. */
export async function readFunctionFiles(dir = FUNCTIONS_DIR): Promise<FunctionFile[]> {
  const files: FunctionFile[] = []

  for (const file of await readdir(dir)) {
    const match = FILE_PATTERN.exec(file)
    if (match === null) continue

    const sql = await readFile(join(dir, file), 'utf8')
    files.push({ name: match[1] as string, version: Number(match[2]), sql })
  }

  return files.sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version)
}

/**
 * Brings a database up to what this build needs: applies pending migrations, deploys every
 * function version the build ships beside the versions already there, and moves each
 * function forward to the newest version this build ships.
 *
 * Activation is forward-only: a version that was active before (and was rolled back) or is
 * older than the active one is left alone, so restarting a server never undoes an operator's
 * rollback, and an old instance restarting during a rolling deploy never moves the active
 * version back. On a new database the shipped versions are activated in turn, so the history
 * reads as if they had been released one after the other and `rollback` has somewhere to go.
 * Every step is idempotent and safe to run from several processes at once: the package
 * serialises them under advisory locks.
 */
export async function prepareDatabase(db: Queryable, functionsDir?: string): Promise<Preparation> {
  const { migrations } = await migrate(db, MIGRATIONS_DIR)
  const files = await readFunctionFiles(functionsDir)
  const deployed: string[] = []
  const activated: string[] = []

  for (const file of files) {
    const result = await deployFunction(db, file)
    if (result.outcome === 'deployed') deployed.push(result.physicalName)
  }

  for (const file of files) {
    const result = await activate(db, file.name, file.version, { forwardOnly: true })
    if (result.changed) {
      activated.push(`${file.name}: v${result.fromVersion ?? '-'} -> v${file.version}`)
    }
  }

  return { migrations, deployed, activated }
}

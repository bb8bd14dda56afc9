import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { activate, deployFunction, listVersions, migrate, type Queryable } from '@ballast/pg'

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
 * function version the build ships beside the versions already there, and activates the
 * newest version of a function when it was deployed just now or nothing is active yet.
 *
 * It never activates anything else, so restarting a server does not undo an operator's
 * rollback. Every step is idempotent and safe to run from several processes at once: the
 * package serialises them under advisory locks.
 */
export async function prepareDatabase(db: Queryable, functionsDir?: string): Promise<Preparation> {
  const { migrations } = await migrate(db, MIGRATIONS_DIR)
  const deployed: string[] = []
  const activated: string[] = []
  const versions = new Map<string, { all: number[]; fresh: boolean }>()

  for (const file of await readFunctionFiles(functionsDir)) {
    const result = await deployFunction(db, file)
    if (result.outcome === 'deployed') deployed.push(result.physicalName)

    const entry = versions.get(file.name) ?? { all: [], fresh: false }
    entry.all.push(file.version)
    entry.fresh = result.outcome === 'deployed'
    versions.set(file.name, entry)
  }

  for (const [name, { all, fresh }] of versions) {
    const hasActive = (await listVersions(db, name)).some((v) => v.status === 'active')
    if (hasActive && !fresh) continue

    // On a new database every shipped version is activated in turn, so the history reads as
    // if they had been released one after the other and `rollback` has somewhere to go.
    const steps = hasActive ? all.slice(-1) : all
    for (const version of steps) {
      const result = await activate(db, name, version)
      if (result.changed) activated.push(`${name}: v${result.fromVersion ?? '-'} -> v${version}`)
    }
  }

  return { migrations, deployed, activated }
}

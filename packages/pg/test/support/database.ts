import { randomBytes } from 'node:crypto'
import { fromPgClient, fromPglite, fromPgPool, type Queryable } from '@ballast/pg'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'

/** The real server the suite also runs against, when CI sets it. */
export const databaseUrl = process.env.DATABASE_URL

/** Which backend this run uses, for test names. */
export const backend = databaseUrl ? 'postgres' : 'pglite'

/** A database private to one test file. */
export interface TestDatabase {
  /** The main connection (a pool on a real server). */
  readonly db: Queryable
  /**
   * Another connection to the same database. On PGlite it is the same single-connection
   * instance: PGlite runs one statement at a time, so "concurrent" work serialises there.
   */
  extraConnection(): Promise<Queryable>
  /**
   * A connection as another process would open it: a new `pg.Pool` on a real server. On
   * PGlite it is the same instance, so work "from two processes" serialises there.
   */
  anotherProcess(): Queryable
  /** The connection string of this database (real server only). */
  readonly url: string | undefined
  /** Closes every connection and drops the database. */
  close(): Promise<void>
}

async function openPostgres(url: string): Promise<TestDatabase> {
  const name = `ballast_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client(url)
  await admin.connect()
  await admin.query(`create database ${name}`)
  // Per-version statistics need function tracking; the suite runs as a superuser.
  await admin.query(`alter database ${name} set track_functions = 'all'`)

  const target = new URL(url)
  target.pathname = `/${name}`
  const pool = new pg.Pool({ connectionString: target.toString(), max: 8 })
  // DROP DATABASE ... WITH (FORCE) ends connections still closing; that is expected here.
  pool.on('error', () => undefined)
  const clients: pg.Client[] = []
  const pools: pg.Pool[] = [pool]

  return {
    db: fromPgPool(pool),
    url: target.toString(),
    async extraConnection() {
      const client = new pg.Client(target.toString())
      client.on('error', () => undefined)
      await client.connect()
      clients.push(client)
      return fromPgClient(client)
    },
    anotherProcess() {
      const other = new pg.Pool({ connectionString: target.toString(), max: 4 })
      other.on('error', () => undefined)
      pools.push(other)
      return fromPgPool(other)
    },
    async close() {
      // Whatever fails while closing, the database is dropped: nothing outlives the file.
      await Promise.allSettled([
        ...clients.map((client) => client.end()),
        ...pools.map((p) => p.end()),
      ])
      try {
        await admin.query(`drop database ${name} with (force)`)
      } finally {
        await admin.end()
      }
    },
  }
}

async function openPglite(): Promise<TestDatabase> {
  const lite = new PGlite()
  await lite.exec(`set track_functions = 'all'`)
  const db = fromPglite(lite)

  return {
    db,
    url: undefined,
    extraConnection: async () => db,
    anotherProcess: () => db,
    close: () => lite.close(),
  }
}

/**
 * Opens a fresh database: a new in-memory PGlite instance, or, when `DATABASE_URL` is set,
 * a throwaway `ballast_test_<random>` database on that server, dropped by `close()`. Test
 * files run in parallel, and other suites (an example server's) use the `ballast` schema
 * of the `DATABASE_URL` database itself; a database per file keeps every registry, lock
 * and NOTIFY channel apart from theirs. Only CREATE and DROP DATABASE touch that database.
 */
export function openTestDatabase(): Promise<TestDatabase> {
  return databaseUrl ? openPostgres(databaseUrl) : openPglite()
}

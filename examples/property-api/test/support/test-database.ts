import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** The real server the suites also run against, when CI sets it. */
export const databaseUrl = process.env.DATABASE_URL

/** Which backend this run uses, for test names. */
export const backend = databaseUrl === undefined ? 'pglite' : 'postgres'

/** Where a test server keeps its data: a URL on the real server, or a PGlite folder. */
export interface TestDatabaseLocation {
  /** A throwaway database on the real server; undefined on PGlite. */
  readonly url: string | undefined
  /** A throwaway PGlite folder; undefined on the real server. */
  readonly dataDir: string | undefined
  /** Drops the database or deletes the folder. */
  drop(): Promise<void>
}

/**
 * A database no other test file sees: a fresh database on `DATABASE_URL` (test files run
 * in parallel against one server), or a fresh PGlite folder, so the embedded database can be
 * stopped and started again like a real one.
 */
export async function createTestDatabase(): Promise<TestDatabaseLocation> {
  if (databaseUrl === undefined) {
    const dataDir = await mkdtemp(join(tmpdir(), 'property-api-'))
    return { url: undefined, dataDir, drop: () => rm(dataDir, { recursive: true, force: true }) }
  }

  const name = `property_api_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client(databaseUrl)
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()

  const url = new URL(databaseUrl)
  url.pathname = `/${name}`

  return {
    url: url.toString(),
    dataDir: undefined,
    async drop() {
      const client = new pg.Client(databaseUrl)
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}

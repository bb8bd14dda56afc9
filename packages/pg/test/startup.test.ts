import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  activate,
  createFunctionClient,
  deployFunction,
  type FunctionClient,
  install,
  isDefinitionChangedError,
  listVersions,
  migrate,
  type Queryable,
  rollback,
} from '@ballast/pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { backend, databaseUrl, openTestDatabase, type TestDatabase } from './support/database'

/** What one application build ships: its function versions and the one it activates. */
interface Build {
  readonly name: string
  readonly versions: readonly { readonly version: number; readonly sql: string }[]
  readonly activates: number
}

const listing = (version: number, body = `'v${version}:' || city`) =>
  `create function listing(city text) returns text language sql stable as $$ select ${body} $$`

const v1 = { version: 1, sql: listing(1) }
const v2 = { version: 2, sql: listing(2) }
const v3 = { version: 3, sql: listing(3) }
const oldBuild: Build = { name: 'listing', versions: [v1, v2], activates: 2 }
const newBuild: Build = { name: 'listing', versions: [v1, v2, v3], activates: 3 }

/**
 * The start-up sequence the README recommends for a service: every step is idempotent,
 * and `forwardOnly` keeps a restarting instance from moving the active version back.
 */
async function start(db: Queryable, migrations: string, build: Build) {
  await install(db)
  await migrate(db, migrations)
  const outcomes = []
  for (const { version, sql } of build.versions) {
    outcomes.push((await deployFunction(db, { name: build.name, version, sql })).outcome)
  }
  const activation = await activate(db, build.name, build.activates, { forwardOnly: true })
  return { outcomes, activation }
}

async function registry(db: Queryable) {
  const versions = await listVersions(db, 'listing')
  const log = await db.query<{ n: number }>(
    `select count(*)::int as n from ballast.activations where name = 'listing'`,
    [],
  )
  const applied = await db.query<{ n: number }>(
    'select count(*)::int as n from ballast.migrations',
    [],
  )
  return {
    versions: versions.map((v) => [v.version, v.status]),
    activations: log.rows[0]?.n,
    migrations: applied.rows[0]?.n,
  }
}

describe(`a service's start-up sequence (${backend})`, () => {
  let t: TestDatabase
  let dir: string
  const clients: FunctionClient[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ballast-pg-startup-'))
    await writeFile(join(dir, '1_cities.sql'), 'create table cities (name text primary key);')
    await writeFile(join(dir, '2_seed.sql'), `insert into cities values ('Lisbon'), ('Porto');`)
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((fns) => fns.close()))
    await t.close()
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const fresh = async () => {
    t = await openTestDatabase()
    return t.db
  }

  it('runs twice with the same result: the second run changes nothing', async () => {
    const db = await fresh()
    const first = await start(db, dir, newBuild)
    const after = await registry(db)
    const second = await start(db, dir, newBuild)

    expect(first.outcomes).toEqual(['deployed', 'deployed', 'deployed'])
    expect(second.outcomes).toEqual(['unchanged', 'unchanged', 'unchanged'])
    expect(second.activation).toMatchObject({ version: 3, changed: false })
    expect(await registry(db)).toEqual(after)
    expect(after).toEqual({
      versions: [
        [1, 'deployed'],
        [2, 'deployed'],
        [3, 'active'],
      ],
      activations: 1,
      migrations: 2,
    })

    const fns = createFunctionClient(db)
    clients.push(fns)
    expect(await fns.call('listing', ['Porto'])).toBe('v3:Porto')
  })

  it('refuses a changed definition under a version number already deployed', async () => {
    const db = await fresh()
    await start(db, dir, newBuild)
    const edited: Build = { ...newBuild, versions: [v1, { version: 2, sql: listing(2, 'city') }] }

    const error = await start(db, dir, edited).catch((e: unknown) => e)
    expect(isDefinitionChangedError(error)).toBe(true)
    expect(error).toMatchObject({ functionName: 'listing', version: 2 })
    expect((await registry(db)).versions).toEqual([
      [1, 'deployed'],
      [2, 'deployed'],
      [3, 'active'],
    ])
  })

  // On a real server these are three pools, as three processes would have; PGlite has one
  // connection, so there the runs interleave statement by statement instead.
  it('deploys and activates once when three instances start at the same time', async () => {
    const db = await fresh()
    const runs = await Promise.all([
      start(t.anotherProcess(), dir, newBuild),
      start(t.anotherProcess(), dir, newBuild),
      start(db, dir, newBuild),
    ])

    const deployed = runs.flatMap((r) => r.outcomes).filter((o) => o === 'deployed')
    expect(deployed).toHaveLength(3)
    expect(runs.filter((r) => r.activation.changed)).toHaveLength(1)
    expect(await registry(db)).toEqual({
      versions: [
        [1, 'deployed'],
        [2, 'deployed'],
        [3, 'active'],
      ],
      activations: 1,
      migrations: 2,
    })
  })

  it.skipIf(!databaseUrl)(
    'deploys and activates once when two processes start at once (needs DATABASE_URL)',
    async () => {
      const db = await fresh()
      const script = fileURLToPath(new URL('./support/start-instance.ts', import.meta.url))
      const run = () =>
        promisify(execFile)(process.execPath, ['--import', 'tsx', script, t.url ?? '', dir])
      const results = (await Promise.all([run(), run()])).map(
        (r) =>
          JSON.parse(r.stdout) as { migrations: string[]; outcomes: string[]; changed: boolean },
      )

      expect(results.flatMap((r) => r.migrations).sort()).toEqual(['1_cities.sql', '2_seed.sql'])
      expect(results.flatMap((r) => r.outcomes).filter((o) => o === 'deployed')).toHaveLength(3)
      expect(results.filter((r) => r.changed)).toHaveLength(1)
      expect((await registry(db)).activations).toBe(1)
    },
  )

  it('leaves the new version active when an old instance restarts mid-rollout', async () => {
    const db = await fresh()
    await start(db, dir, oldBuild)
    await start(db, dir, newBuild)
    const restarted = await start(db, dir, oldBuild)

    expect(restarted.activation).toMatchObject({ version: 3, changed: false })
    const oldInstance = createFunctionClient(db, { pins: { listing: 2 } })
    const newInstance = createFunctionClient(db)
    clients.push(oldInstance, newInstance)
    expect(await oldInstance.call('listing', ['Lisbon'])).toBe('v2:Lisbon')
    expect(await newInstance.call('listing', ['Lisbon'])).toBe('v3:Lisbon')
  })

  it('does not undo a rollback when a new instance restarts', async () => {
    const db = await fresh()
    await start(db, dir, oldBuild)
    await start(db, dir, newBuild)
    await rollback(db, 'listing')
    const restarted = await start(db, dir, newBuild)

    expect(restarted.activation).toMatchObject({ version: 2, changed: false })
    expect((await registry(db)).versions).toEqual([
      [1, 'deployed'],
      [2, 'active'],
      [3, 'retired'],
    ])
  })
})

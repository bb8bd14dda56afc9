import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listVersions, rollback } from '@ballast/pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, openDatabase } from '../src/database'
import { FUNCTIONS_DIR, prepareDatabase, readFunctionFiles } from '../src/schema'
import { backend, createTestDatabase, type TestDatabaseLocation } from './support/test-database'

let location: TestDatabaseLocation
let database: Database

beforeAll(async () => {
  location = await createTestDatabase()
  database = await openDatabase({ url: location.url, dataDir: location.dataDir })
})

afterAll(async () => {
  await database.close()
  await location.drop()
})

async function statuses(name: string): Promise<string[]> {
  return (await listVersions(database.db, name)).map((v) => `v${v.version} ${v.status}`)
}

describe(`prepareDatabase (${backend})`, () => {
  it('migrates, deploys and activates every function on a new database', async () => {
    const files = await readFunctionFiles()
    const first = await prepareDatabase(database.db)

    expect(first.migrations).toEqual(['001_tables.sql', '002_json_helpers.sql'])
    expect(first.deployed).toHaveLength(files.length)
    expect(await statuses('portfolio_dashboard')).toEqual(['v1 previous', 'v2 active'])
  })

  it('does nothing the second time', async () => {
    expect(await prepareDatabase(database.db)).toEqual({
      migrations: [],
      deployed: [],
      activated: [],
    })
  })

  it('does not undo an operator’s rollback when the server restarts', async () => {
    await rollback(database.db, 'portfolio_dashboard')
    await prepareDatabase(database.db)

    expect(await statuses('portfolio_dashboard')).toEqual(['v1 active', 'v2 retired'])
  })

  it('deploys a new version beside the old ones and activates it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'functions-'))
    try {
      await cp(FUNCTIONS_DIR, dir, { recursive: true })
      await writeFile(
        join(dir, 'list_units.v2.sql'),
        `create function list_units(p_landlord integer, p_property integer) returns jsonb
         language sql stable as $$
           select coalesce((select jsonb_agg(api_unit(u) order by u.label)
                            from units u where u.property_id = p.id), '[]'::jsonb)
           from properties p where p.id = p_property and p.landlord_id = p_landlord
         $$;`,
      )

      const result = await prepareDatabase(database.db, dir)

      expect(result.deployed).toEqual(['list_units__v2'])
      expect(result.activated).toEqual(['list_units: v1 -> v2'])
      expect(await statuses('list_units')).toEqual(['v1 previous', 'v2 active'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  activate,
  checkCompatibility,
  createManifest,
  deployFunction,
  install,
  type Manifest,
  type Queryable,
  runCheck,
} from '@ballast/pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, databaseUrl, openTestDatabase, type TestDatabase } from './support/database'

const v1 = `create function find_homes(city text) returns table (id int, title text)
  language sql stable as $$ select 1, city $$`
const v2 = `create function find_homes(city text, max_rooms int default 9)
  returns table (id int, title text) language sql stable as $$ select 2, city $$`
const v3 = `create function find_homes(city text) returns table (id bigint, title text)
  language sql stable as $$ select 3::bigint, city $$`

const builtFor: Manifest = {
  functions: [
    {
      name: 'find_homes',
      arguments: [{ name: 'city', type: 'text' }],
      returnsSet: true,
      resultType: 'TABLE(id integer, title text)',
      resultColumns: [
        { name: 'id', type: 'int4' },
        { name: 'title', type: 'text' },
      ],
    },
  ],
}

function sink() {
  let text = ''
  return { write: (chunk: string) => (text += chunk), read: () => text }
}

describe(`checkCompatibility and ballast-pg check (${backend})`, () => {
  let t: TestDatabase
  let db: Queryable
  let dir: string

  beforeAll(async () => {
    t = await openTestDatabase()
    db = t.db
    await install(db)
    await deployFunction(db, { name: 'find_homes', version: 1, sql: v1 })
    await activate(db, 'find_homes', 1)
    dir = await mkdtemp(join(tmpdir(), 'ballast-pg-manifest-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
    await t.close()
  })

  it('reports ok for the active version an application was built for', async () => {
    const report = await checkCompatibility(db, builtFor)
    expect(report).toMatchObject({
      ok: true,
      functions: [{ name: 'find_homes', status: 'ok', version: 1, differences: [] }],
    })
  })

  it('reports ok when the active version only adds a parameter with a default', async () => {
    await deployFunction(db, { name: 'find_homes', version: 2, sql: v2 })
    await activate(db, 'find_homes', 2)
    const report = await checkCompatibility(db, builtFor)
    expect(report.functions[0]).toMatchObject({
      status: 'ok',
      version: 2,
      differences: [{ aspect: 'parameter-added', severity: 'compatible' }],
    })
  })

  it('reports breaking and missing functions', async () => {
    await deployFunction(db, { name: 'find_homes', version: 3, sql: v3, allowBreaking: true })
    await activate(db, 'find_homes', 3)
    const manifest: Manifest = {
      functions: [
        ...builtFor.functions,
        { ...(builtFor.functions[0] as Manifest['functions'][0]), version: 1 },
        { name: 'never_deployed', arguments: [], returnsSet: false, resultType: 'integer' },
        { ...(builtFor.functions[0] as Manifest['functions'][0]), version: 9 },
      ],
    }
    const report = await checkCompatibility(db, manifest)

    expect(report.ok).toBe(false)
    expect(report.functions.map((f) => [f.status, f.version])).toEqual([
      ['breaking', 3],
      ['ok', 1],
      ['missing', null],
      ['missing', null],
    ])
    expect(report.functions[0]?.message).toBe(
      'v3: result column id changed type from integer to bigint',
    )
  })

  it('creates a manifest that the current database satisfies', async () => {
    const manifest = await createManifest(db, ['find_homes'], { pins: { find_homes: 2 } })
    expect(manifest.functions[0]).toMatchObject({ name: 'find_homes', version: 2 })
    expect((await checkCompatibility(db, manifest)).ok).toBe(true)
  })

  it('rejects a malformed manifest with a TypeError naming the field', async () => {
    const bad = { functions: [{ name: 'find_homes', arguments: 'city' }] }
    await expect(checkCompatibility(db, bad as unknown as Manifest)).rejects.toThrow(
      'manifest: functions[0].arguments must be an array, received "city"',
    )
  })

  it('exits 0, 1 or 2 from the command-line logic', async () => {
    const good = join(dir, 'good.json')
    const broken = join(dir, 'broken.json')
    await writeFile(good, JSON.stringify(await createManifest(db, ['find_homes'])))
    await writeFile(broken, JSON.stringify(builtFor))
    const connect = async () => ({ db, close: async () => undefined })
    const env = { DATABASE_URL: 'postgres://unused' }

    const out = sink()
    expect(await runCheck(['check', '--manifest', good], env, { connect, stdout: out })).toBe(0)
    expect(out.read()).toContain('ok       find_homes: v3 accepts the declared calls (identical)')

    const json = sink()
    const args = ['check', '--manifest', broken, '--json']
    expect(await runCheck(args, env, { connect, stdout: json })).toBe(1)
    expect(JSON.parse(json.read())).toMatchObject({ ok: false })

    const err = sink()
    expect(await runCheck(['check'], env, { connect, stderr: err })).toBe(2)
    expect(err.read()).toContain('Usage: ballast-pg check')
    expect(await runCheck(['check', '--manifest', good], {}, { connect, stderr: err })).toBe(2)
    const missing = ['check', '--manifest', join(dir, 'nope.json')]
    expect(await runCheck(missing, env, { connect, stderr: err })).toBe(2)
  })

  it.skipIf(!databaseUrl)(
    'runs as a process against the real server (needs DATABASE_URL)',
    async () => {
      const broken = join(dir, 'broken-e2e.json')
      await writeFile(broken, JSON.stringify(builtFor))
      const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
      const run = promisify(execFile)
      const args = ['--import', 'tsx', cli, 'check', '--manifest', broken]

      const failed = await run(process.execPath, [...args, '--database-url', t.url ?? ''])
        .then(() => 0)
        .catch((error: { code: number; stdout: string }) => {
          expect(error.stdout).toContain('breaking find_homes: v3')
          return error.code
        })
      expect(failed).toBe(1)

      const good = join(dir, 'good-e2e.json')
      await writeFile(good, JSON.stringify(await createManifest(db, ['find_homes'])))
      const passed = await run(process.execPath, [...args.slice(0, 4), '--manifest', good], {
        env: { ...process.env, DATABASE_URL: t.url },
      })
      expect(passed.stdout).toContain('ok       find_homes')
    },
  )
})

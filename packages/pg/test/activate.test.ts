import {
  activate,
  channelName,
  deployFunction,
  install,
  listVersions,
  prune,
  type Queryable,
  rollback,
} from '@ballast/pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, openTestDatabase, type TestDatabase } from './support/database'

const sql = (name: string, version: number) =>
  `create function ${name}(n int) returns int language sql as $$ select n * ${version} $$`

async function deployVersions(db: Queryable, name: string, versions: number[]) {
  for (const version of versions) {
    await deployFunction(db, { name, version, sql: sql(name, version) })
  }
}

async function statuses(db: Queryable, name: string) {
  const versions = await listVersions(db, name)
  return Object.fromEntries(versions.map((v) => [v.version, v.status]))
}

describe(`activate, rollback and prune (${backend})`, () => {
  let t: TestDatabase
  let db: Queryable

  beforeAll(async () => {
    t = await openTestDatabase()
    db = t.db
    await install(db)
  })
  afterAll(() => t.close())

  it('activates a version, demoting the active one to previous', async () => {
    await deployVersions(db, 'switch_me', [1, 2])

    expect(await activate(db, 'switch_me', 1)).toEqual({
      name: 'switch_me',
      version: 1,
      fromVersion: null,
      changed: true,
    })
    await activate(db, 'switch_me', 2)
    expect(await statuses(db, 'switch_me')).toEqual({ 1: 'previous', 2: 'active' })
    expect(await activate(db, 'switch_me', 2)).toMatchObject({ changed: false })

    const log = await db.query<{ version: number; action: string }>(
      `select version, action from ballast.activations where name = 'switch_me' order by id`,
      [],
    )
    expect(log.rows).toEqual([
      { version: 1, action: 'activate' },
      { version: 2, action: 'activate' },
    ])
  })

  it('rolls back to the most recently active previous version and retires the other', async () => {
    await deployVersions(db, 'roll_me', [1, 2, 3])
    for (const v of [1, 2, 3]) await activate(db, 'roll_me', v)

    expect(await rollback(db, 'roll_me')).toMatchObject({ version: 2, fromVersion: 3 })
    expect(await statuses(db, 'roll_me')).toEqual({ 1: 'previous', 2: 'active', 3: 'retired' })
    expect(await rollback(db, 'roll_me')).toMatchObject({ version: 1, fromVersion: 2 })
    await expect(rollback(db, 'roll_me')).rejects.toMatchObject({
      code: 'BALLAST_PG_NO_PREVIOUS_VERSION',
    })

    // Every version is still callable: rollback never drops anything.
    const { rows } = await db.query<{ a: number; b: number; c: number }>(
      'select roll_me__v1(2) as a, roll_me__v2(2) as b, roll_me__v3(2) as c',
      [],
    )
    expect(rows[0]).toEqual({ a: 2, b: 4, c: 6 })
  })

  it('activates forward only a never-active version newer than the active one', async () => {
    await deployVersions(db, 'forward', [1, 2, 3, 4])
    const forward = (version: number) => activate(db, 'forward', version, { forwardOnly: true })

    expect(await forward(2)).toMatchObject({ version: 2, fromVersion: null, changed: true })
    expect(await forward(1)).toMatchObject({ version: 2, changed: false }) // older
    expect(await forward(3)).toMatchObject({ version: 3, fromVersion: 2, changed: true })
    expect(await forward(2)).toMatchObject({ version: 3, changed: false }) // was active
    await rollback(db, 'forward')
    expect(await forward(3)).toMatchObject({ version: 2, changed: false }) // rolled back
    expect(await forward(4)).toMatchObject({ version: 4, fromVersion: 2, changed: true })
    expect(await statuses(db, 'forward')).toEqual({
      1: 'deployed',
      2: 'previous',
      3: 'retired',
      4: 'active',
    })
  })

  it('rejects unknown functions and versions with typed errors', async () => {
    await expect(activate(db, 'never_deployed', 1)).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_FUNCTION',
    })
    await expect(activate(db, 'switch_me', 9)).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_VERSION',
    })
    await expect(rollback(db, 'never_deployed')).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_FUNCTION',
    })
    await expect(activate(db, 'switch_me', 0)).rejects.toThrow(RangeError)
  })

  // On PGlite the "two connections" are one instance that runs one transaction at a
  // time, so this proves the bookkeeping; on a real server the advisory lock is exercised.
  it('keeps exactly one active version when two connections activate at once', async () => {
    await deployVersions(db, 'contended', [1, 2, 3])
    await activate(db, 'contended', 1)
    const other = await t.extraConnection()

    const results = await Promise.all([
      activate(db, 'contended', 2),
      activate(other, 'contended', 3),
      activate(db, 'contended', 3),
      activate(other, 'contended', 2),
    ])

    const versions = await listVersions(db, 'contended')
    const active = versions.filter((v) => v.status === 'active')
    expect(active).toHaveLength(1)
    const last = await db.query<{ version: number }>(
      `select version from ballast.activations where name = 'contended' order by id desc limit 1`,
      [],
    )
    expect(active[0]?.version).toBe(last.rows[0]?.version)
    const changed = results.filter((r) => r.changed).length
    const log = await db.query(`select 1 from ballast.activations where name = 'contended'`, [])
    expect(log.rows.length).toBe(1 + changed)
  })

  it('sends a NOTIFY with the new active version', async () => {
    await deployVersions(db, 'noisy', [1])
    const listener = await t.extraConnection()
    let received: (payload: string) => void = () => undefined
    const payload = new Promise<string>((resolve) => {
      received = resolve
    })
    const stop = await listener.listen?.(channelName('ballast'), (p) => received(p))

    await activate(db, 'noisy', 1)
    expect(JSON.parse(await payload)).toEqual({ name: 'noisy', version: 1 })
    await stop?.()
  })

  it('prunes only versions older than the active one beyond the kept ones', async () => {
    await deployVersions(db, 'prunable', [1, 2, 3, 4, 5, 6])
    await activate(db, 'prunable', 5)

    expect(await prune(db, 'prunable')).toEqual({ dropped: [1, 2] })
    expect(await prune(db, 'prunable')).toEqual({ dropped: [] })
    const versions = await listVersions(db, 'prunable')
    expect(versions.map((v) => [v.version, v.status, v.droppedAt !== null])).toEqual([
      [1, 'retired', true],
      [2, 'retired', true],
      [3, 'deployed', false],
      [4, 'deployed', false],
      [5, 'active', false],
      [6, 'deployed', false],
    ])
    const left = await db.query<{ proname: string }>(
      `select proname from pg_proc where proname like 'prunable__v%' order by proname`,
      [],
    )
    expect(left.rows.map((r) => r.proname)).toEqual([
      'prunable__v3',
      'prunable__v4',
      'prunable__v5',
      'prunable__v6',
    ])
    await expect(activate(db, 'prunable', 1)).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_VERSION',
    })
    await expect(prune(db, 'prunable', { keep: -1 })).rejects.toThrow(RangeError)
  })
})

import { randomBytes } from 'node:crypto'
import {
  activate,
  createFunctionClient,
  deployFunction,
  type FunctionClient,
  fromPglite,
  fromPgPool,
  install,
  type Queryable,
} from '@ballast/pg'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import type { Contender, SkippedSuite, Suite } from '../harness'

const OPS = 5
const FUNCTION = 'bench_properties_in'
const CITY = ['Lisbon']

/** What every backend runs once before timing: a table, and v1 of a function over it. */
async function prepare(db: Queryable): Promise<FunctionClient> {
  await install(db)
  await db.query(`create table bench_properties (id int primary key, city text, price numeric)`)
  await db.query(`insert into bench_properties
    select i, (array['Lisbon', 'Porto', 'Faro', 'Braga'])[1 + i % 4], 100 + i
    from generate_series(1, 40) as i`)
  await deployFunction(db, {
    name: FUNCTION,
    version: 1,
    sql: `create function ${FUNCTION}(city text)
            returns table (id int, price numeric) language sql stable
            as $$ select id, price from bench_properties p where p.city = $1 order by id $$`,
  })
  await activate(db, FUNCTION, 1)

  const fns = createFunctionClient(db, { refreshIntervalMs: 0, listen: false })
  await fns.ready()
  return fns
}

/** The statement the function client sends for a call, written out by hand. */
const RAW_TEXT = `select * from "public"."${FUNCTION}__v1"($1)`

function contenders(
  raw: (text: string, values: unknown[]) => Promise<unknown>,
  rawName: string,
  db: Queryable,
  fns: FunctionClient,
): Contender[] {
  return [
    {
      name: rawName,
      includes: 'the versioned function called by its physical name, driver only',
      run: async () => {
        for (let i = 0; i < OPS; i++) await raw(RAW_TEXT, CITY)
      },
    },
    {
      name: 'Queryable.query',
      includes: "the same statement through @ballast/pg's connection adapter",
      run: async () => {
        for (let i = 0; i < OPS; i++) await db.query(RAW_TEXT, CITY)
      },
    },
    {
      name: 'FunctionClient.call',
      includes: 'version resolved by logical name, arguments checked and bound, rows shaped',
      run: async () => {
        for (let i = 0; i < OPS; i++) await fns.call(FUNCTION, CITY)
      },
    },
  ]
}

/** Suite 6a: a versioned call against the same statement, on an in-process PGlite. */
export async function pgliteSuite(): Promise<Suite> {
  const lite = new PGlite()
  const db = fromPglite(lite)
  const fns = await prepare(db)

  return {
    name: 'PostgreSQL call, PGlite',
    operation: `one call of a function returning 10 rows, ${OPS} in a row, alternating`,
    baseline: 'PGlite query',
    opsPerBatch: OPS,
    interleave: 'batches',
    contenders: contenders((text, values) => lite.query(text, values), 'PGlite query', db, fns),
    remarks: ['PGlite runs in this process, so a call costs CPU here and nothing on a network.'],
    teardown: async () => {
      await fns.close()
      await lite.close()
    },
  }
}

/**
 * Suite 6c: what the function client adds, alone. The connection answers at once with ten
 * ready-made rows once the client has read the registry, so the database's time, which
 * hides the client's in the suites above, is out of the picture.
 */
export async function clientOverheadSuite(): Promise<Suite> {
  const lite = new PGlite()
  const real = fromPglite(lite)
  const rows = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, price: '101' }))
  let instant = false
  const db: Queryable = {
    query: <Row>(text: string, params?: readonly unknown[]) =>
      instant ? Promise.resolve({ rows: rows as Row[] }) : real.query<Row>(text, params),
    transaction: (work) => real.transaction(work),
  }
  const fns = await prepare(db)
  instant = true
  const ops = 1000

  return {
    name: 'PostgreSQL call, client overhead',
    operation: 'one call answered at once by a stub connection, 1,000 in a row',
    baseline: 'stub query',
    opsPerBatch: ops,
    contenders: [
      {
        name: 'stub query',
        includes: 'the statement handed to the stub, and its `await`',
        run: async () => {
          for (let i = 0; i < ops; i++) await db.query(RAW_TEXT, CITY)
        },
      },
      {
        name: 'FunctionClient.call',
        includes: 'version resolved by logical name, arguments checked and bound, rows shaped',
        run: async () => {
          for (let i = 0; i < ops; i++) await fns.call(FUNCTION, CITY)
        },
      },
    ],
    remarks: [
      'The difference between the two rows is the time the function client adds to a call.',
    ],
    teardown: async () => {
      await fns.close()
      await lite.close()
    },
  }
}

/**
 * Suite 6b: the same on the real server at DATABASE_URL, in a database created for the run
 * and dropped after it, so it never meets a test's tables.
 */
export async function postgresSuite(): Promise<Suite | SkippedSuite> {
  const name = 'PostgreSQL call, real server'
  const url = process.env.DATABASE_URL
  if (url === undefined || url === '') {
    return { name, skipped: 'DATABASE_URL is not set' }
  }

  const database = `ballast_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client(url)
  await admin.connect()
  await admin.query(`create database ${database}`)

  const target = new URL(url)
  target.pathname = `/${database}`
  const pool = new pg.Pool({ connectionString: target.toString(), max: 2 })
  const drop = async () => {
    await pool.end()
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
  }

  try {
    const db = fromPgPool(pool)
    const fns = await prepare(db)

    return {
      name,
      operation: `one call of a function returning 10 rows, ${OPS} in a row, alternating`,
      baseline: 'pg Pool query',
      opsPerBatch: OPS,
      interleave: 'batches',
      contenders: contenders((text, values) => pool.query(text, values), 'pg Pool query', db, fns),
      remarks: [
        `PostgreSQL at ${target.host}, over TCP, in a throwaway database dropped after the run.`,
      ],
      teardown: async () => {
        await fns.close()
        await drop()
      },
    }
  } catch (error) {
    await drop()
    throw error
  }
}

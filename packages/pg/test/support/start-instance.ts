// A service's start-up as its own process, for the start-up test: node --import tsx
// start-instance.ts <database-url> <migrations-dir>. Prints what it did as JSON.
import pg from 'pg'
import { activate, deployFunction, fromPgPool, install, migrate } from '../../src/index'

const [url, dir] = process.argv.slice(2)
const pool = new pg.Pool({ connectionString: url, max: 2 })
const db = fromPgPool(pool)
const sql = (version: number) =>
  `create function listing(city text) returns text language sql stable
   as $$ select 'v${version}:' || city $$`

try {
  await install(db)
  const { migrations } = await migrate(db, dir ?? '')
  const outcomes: string[] = []
  for (const version of [1, 2, 3]) {
    outcomes.push(
      (await deployFunction(db, { name: 'listing', version, sql: sql(version) })).outcome,
    )
  }
  const { changed } = await activate(db, 'listing', 3, { forwardOnly: true })
  process.stdout.write(JSON.stringify({ migrations, outcomes, changed }))
} finally {
  await pool.end()
}

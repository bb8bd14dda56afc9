import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** A database only one scenario uses, on the PostgreSQL server of `DATABASE_URL`. */
export interface ThrowawayDatabase {
  /** Its name, `chaos_<random>`. */
  readonly name: string
  /** A URL to it, straight to the server (no proxy). */
  readonly url: string
  /** Runs one statement on it, straight to the server. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params?: readonly unknown[],
  ): Promise<T[]>
  /** Closes the connection and drops the database, cutting whatever is still connected. */
  drop(): Promise<void>
}

/** Whether a PostgreSQL server answers at `url`; the reason when it does not. */
export async function reachable(
  url: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return { ok: true }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) }
  } finally {
    await client.end().catch(() => {})
  }
}

/** Creates `chaos_<random>` on the server of `serverUrl` and connects to it. */
export async function createThrowawayDatabase(serverUrl: string): Promise<ThrowawayDatabase> {
  const name = `chaos_${randomBytes(6).toString('hex')}`
  await admin(serverUrl, `create database ${name}`)

  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const pool = new pg.Pool({ connectionString: url.toString(), max: 3 })
  pool.on('error', () => {})

  return {
    name,
    url: url.toString(),
    async query<T extends pg.QueryResultRow>(text: string, params: readonly unknown[] = []) {
      const result = await pool.query<T>(text, [...params])
      return result.rows
    },
    async drop() {
      await pool.end().catch(() => {})
      await admin(serverUrl, `drop database if exists ${name} with (force)`)
    },
  }
}

async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client(serverUrl)
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** A landlord the scenario created, with its bearer token and seeded properties. */
export interface Landlord {
  /** Its id in `landlords`. */
  readonly id: number
  /** Index in the list `createLandlords` returned. */
  readonly index: number
  /** Its bearer token. */
  readonly token: string
  /** Ids of the properties it was created with, each with `unitsPerProperty` units. */
  readonly propertyIds: readonly number[]
  /** Ids of the seeded units, across its properties. */
  readonly unitIds: readonly number[]
}

/** Settings of {@link createLandlords}. */
export interface LandlordOptions {
  /** How many landlords to create. */
  readonly count: number
  /** @default 3 */
  readonly propertiesEach?: number
  /** @default 2 */
  readonly unitsPerProperty?: number
}

/**
 * Creates landlords with tokens `chaos-landlord-<n>-<random>` and a few properties and units
 * each, in SQL on a database the server has prepared. Names carry the landlord's index
 * (`L3 ...`), so a response holding another landlord's data can be told by its text.
 */
export async function createLandlords(
  database: ThrowawayDatabase,
  options: LandlordOptions,
): Promise<Landlord[]> {
  const salt = randomBytes(4).toString('hex')
  const properties = options.propertiesEach ?? 3
  const units = options.unitsPerProperty ?? 2
  const landlords: Landlord[] = []

  for (let index = 0; index < options.count; index++) {
    const token = `chaos-landlord-${index}-${salt}`
    const [row] = await database.query<{ id: number }>(
      `with landlord as (
         insert into landlords (email, name) values ($1, $2) returning id
       ), token as (
         insert into api_tokens (token_hash, landlord_id)
         select sha256(convert_to($3, 'UTF8')), id from landlord
       )
       select id from landlord`,
      [`chaos-${index}-${salt}@example.com`, `L${index} Landlord`, token],
    )
    const id = (row as { id: number }).id
    const propertyRows = await database.query<{ id: number }>(
      `insert into properties (landlord_id, name, address, city)
       select $1, 'L' || $2 || ' seeded ' || n, 'L' || $2 || ' Street ' || n, 'City ' || $2
       from generate_series(1, $3) n
       returning id`,
      [id, index, properties],
    )
    const propertyIds = propertyRows.map((p) => p.id)
    const unitRows = await database.query<{ id: number }>(
      `insert into units (property_id, label, rent_cents, status)
       select p, 'U' || n, 50000 + n * 1000, case when n % 2 = 0 then 'occupied' else 'vacant' end
       from unnest($1::int[]) p, generate_series(1, $2) n
       returning id`,
      [propertyIds, units],
    )

    landlords.push({ id, index, token, propertyIds, unitIds: unitRows.map((u) => u.id) })
  }

  return landlords
}

import type { Queryable, TransactionQueryable } from './queryable'

/** What {@link MemberTable} needs from its bus. */
export interface MemberTableOptions {
  readonly db: Queryable
  /** The table's name, quoted for SQL. */
  readonly table: string
  readonly channel: string
  /** This member's id. */
  readonly member: string
  readonly leaseMs: number
  readonly report: (error: unknown, during: string) => void
}

/**
 * The table of live members of a channel: one row per member, with the time it last renewed
 * its lease. NOTIFY cannot say who received a message, so a publish reads this table to know
 * whose confirmations to wait for.
 */
export class MemberTable {
  readonly #db: Queryable
  readonly #table: string
  readonly #channel: string
  readonly #member: string
  readonly #leaseMs: number
  readonly #report: (error: unknown, during: string) => void
  #created = false

  constructor(options: MemberTableOptions) {
    this.#db = options.db
    this.#table = options.table
    this.#channel = options.channel
    this.#member = options.member
    this.#leaseMs = options.leaseMs
    this.#report = options.report
  }

  /** Whether {@link MemberTable.create} has succeeded once. */
  get created(): boolean {
    return this.#created
  }

  /** Creates the table if it is missing, under a lock so concurrent members do not race. */
  async create(): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(hashtext($1))', [this.#table])
      await tx.query(
        `create table if not exists ${this.#table} (
           channel text not null,
           member text not null,
           seen_at timestamptz not null default now(),
           primary key (channel, member)
         )`,
      )
    })
    this.#created = true
  }

  /** Registers this member, sweeping away rows whose lease ran out long ago. */
  join(): Promise<unknown> {
    return this.#db.query(
      `with expired as (
         delete from ${this.#table}
          where channel = $1 and seen_at < now() - $3 * interval '1 millisecond'
       )
       insert into ${this.#table} (channel, member, seen_at) values ($1, $2, now())
       on conflict (channel, member) do update set seen_at = excluded.seen_at`,
      [this.#channel, this.#member, 10 * this.#leaseMs],
    )
  }

  /** Renews this member's lease and, in the same statement, sends `ping` on the channel. */
  renew(ping: string): Promise<unknown> {
    return this.#db.query(
      `with beat as (
         insert into ${this.#table} (channel, member, seen_at) values ($1, $2, now())
         on conflict (channel, member) do update set seen_at = excluded.seen_at
         returning 1
       )
       select pg_notify($1, $3) from beat`,
      [this.#channel, this.#member, ping],
    )
  }

  /** The members whose lease is running, read inside the publishing transaction `tx`. */
  async live(tx: TransactionQueryable): Promise<string[]> {
    const { rows } = await tx.query<{ member: string }>(
      `select member from ${this.#table}
        where channel = $1 and seen_at > now() - $2 * interval '1 millisecond'`,
      [this.#channel, this.#leaseMs],
    )

    return rows.map((row) => row.member)
  }

  /** Removes this member's row; a failure is reported, never thrown. */
  async leave(): Promise<void> {
    try {
      await this.#db.query(`delete from ${this.#table} where channel = $1 and member = $2`, [
        this.#channel,
        this.#member,
      ])
    } catch (error) {
      this.#report(error, 'leaving the member table')
    }
  }
}

import type { BreakerRegistry } from '@ballast/breaker'
import type { Cache } from '@ballast/cache'
import type { FunctionClient } from '@ballast/pg'
import type { Recorder } from '@ballast/timing'
import type { DatabaseCalls } from './database-calls'

/** The budget classes of the API: every route belongs to one. */
export type BudgetClass = 'critical' | 'read' | 'write' | 'delete'

/** Everything the routes use, built once at startup (see `createServices`). */
export interface Services {
  /** Calls the database functions under breakers and deadlines. */
  readonly calls: DatabaseCalls
  /** Resolves function names to their active versions. */
  readonly functions: FunctionClient
  /** Reads go through it; writes invalidate it. */
  readonly cache: Cache
  /** One breaker per database function. */
  readonly breakers: BreakerRegistry
  /** Times every route and database call against its budget. */
  readonly recorder: Recorder<BudgetClass>
}

import type { SyncOutcome } from './bus-sequence'

/** The events a bus emits, by name, with what each listener receives. */
export interface RedisBusEvents {
  /**
   * The subscription got in step: when it started listening, and whenever it replayed
   * missed messages or told its subscribers to reset.
   */
  synced: SyncOutcome
  /** The subscription was lost; the bus reconnects on its own. */
  down: { readonly error: unknown }
  /** Something failed and the bus carried on. */
  error: { readonly error: unknown; readonly during: string }
}

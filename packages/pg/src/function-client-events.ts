/** Emitted after every call, successful or not. */
export interface FunctionCallEvent {
  /** The logical function name. */
  readonly name: string
  /** The version that was called. */
  readonly version: number
  /** The versioned name, e.g. `get_properties__v3`: the name to record timings under. */
  readonly physicalName: string
  /** How long the call took, from the client's clock. */
  readonly durationMs: number
  /** Whether the call succeeded. */
  readonly ok: boolean
  /** The error, when it failed. */
  readonly error?: unknown
}

/** Emitted after every successful registry refresh. */
export interface FunctionRefreshEvent {
  /** Active versions by function name after the refresh. */
  readonly active: Readonly<Record<string, number>>
}

/** Emitted each time the NOTIFY subscription is in place, first or again. */
export interface FunctionListeningEvent {
  /** The channel listened on. */
  readonly channel: string
}

/** Events of a function client and their payloads. */
export interface FunctionClientEvents {
  /** After every call. */
  call: FunctionCallEvent
  /** After every successful refresh. */
  refresh: FunctionRefreshEvent
  /** The NOTIFY subscription is (again) in place; a registry read follows. */
  listening: FunctionListeningEvent
  /**
   * A background refresh failed, or the NOTIFY subscription failed or broke (a new one
   * is attempted); the old map stays in use.
   */
  error: { readonly error: unknown }
}

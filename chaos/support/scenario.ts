/** One promise a scenario judged: what was promised, what was measured, whether it held. */
export interface Check {
  /** The promise in a few words: `read p95`, `acknowledged writes lost`. */
  readonly promise: string
  /** The target as people read it: `< 200 ms`, `0`. */
  readonly target: string
  /** The measured figure as people read it: `12.4 ms`, `0 of 1,204`. */
  readonly measured: string
  /** Whether the measured figure meets the target. */
  readonly held: boolean
}

/** What a scenario hands back: its judged promises and every figure it measured. */
export interface ScenarioOutcome {
  /** The promises judged, in the order the table shows them. */
  readonly checks: readonly Check[]
  /** Machine-readable figures for `chaos/results/latest.json`. */
  readonly figures: Readonly<Record<string, unknown>>
  /** Plain-language findings worth reading next to the table. */
  readonly notes?: readonly string[]
}

/** How long things take in this run, and where to say what is happening. */
export interface ScenarioSettings {
  /** `--quick`: shorter phases, for a smoke run. */
  readonly quick: boolean
  /** `--soak-seconds`: how long the soak runs. */
  readonly soakSeconds: number
  /** `--outage-seconds`: how long the database outage lasts. */
  readonly outageSeconds: number
  /** The PostgreSQL server the throwaway databases are created on. */
  readonly databaseUrl: string
  /** A Redis server to route through a fault proxy, when `--redis` is given. */
  readonly redisUrl: string | undefined
}

/** What the runner gives a scenario. */
export interface ScenarioContext {
  /** The run's settings. */
  readonly settings: ScenarioSettings
  /** Aborts when the scenario ran out of time; loads stop, waits end early. */
  readonly signal: AbortSignal
  /** Prints one progress line. */
  log(line: string): void
  /** Registers clean-up that runs after the scenario, last registered first, even on error. */
  defer(cleanUp: () => unknown): void
  /** Records that a server process ended without being told to; the runner adds a check. */
  crashed(description: string): void
}

/** A chaos scenario: one promise of the seed, measured against the example server. */
export interface Scenario {
  /** What `--only` selects: `load`, `outage`, ... */
  readonly name: string
  /** A short title for the table. */
  readonly title: string
  /** The longest it may run in these settings, in seconds; then it is stopped. */
  timeLimitSeconds(settings: ScenarioSettings): number
  /** Runs the scenario; clean-up registered with `defer` runs after it either way. */
  run(context: ScenarioContext): Promise<ScenarioOutcome>
}

/** A check from a figure and a predicate, formatted the same way everywhere. */
export function check(
  promise: string,
  target: string,
  measured: string | number,
  held: boolean,
): Check {
  return { promise, target, measured: String(measured), held }
}

import type { CheckRunner } from './checkRunner'
import type { Clock } from './clock'
import {
  freezeBody,
  type HealthBody,
  type HealthCheckEntry,
  type HealthChecks,
  type HealthReport,
  isoTime,
} from './healthJson'
import type { Identity } from './options'
import {
  type AddEntry,
  addBreakerEntries,
  addStatsEntries,
  addTimingEntries,
  type SourceLists,
} from './sources'
import { type HealthStatus, worse } from './status'

/** Where the health object is in its life. */
export type Lifecycle = 'serving' | 'draining' | 'closed'

/** The liveness answer while passing; one frozen object, shared by every probe. */
export const LIVENESS_PASS: HealthBody = freezeBody({ status: 'pass' })

/** The liveness answer once closed. */
export const LIVENESS_CLOSED: HealthBody = freezeBody({ status: 'fail', output: 'closed' })

/** The liveness answer while the event loop is late by more than the limit. */
export function livenessDelayed(delayMs: number, maxMs: number): HealthBody {
  const output = `event loop delayed by ${delayMs} ms, over the ${maxMs} ms limit`
  return freezeBody({ status: 'fail', output })
}

/**
 * Builds the readiness answer: `fail` while draining, closed, or while a
 * critical check failed or has no result yet; `warn` while a critical check
 * warns; `pass` otherwise. Built when something it depends on changes, never
 * by a probe.
 */
export function readinessBody(critical: readonly CheckRunner[], lifecycle: Lifecycle): HealthBody {
  const failing: string[] = []
  const pending: string[] = []
  const warning: string[] = []
  const checks: Record<string, HealthCheckEntry[]> = {}
  for (const runner of critical) {
    const { name, key } = runner.check
    if (runner.result === undefined) pending.push(name)
    else if (runner.result.status === 'fail') failing.push(name)
    else if (runner.result.status === 'warn') warning.push(name)
    append(checks, key, runner.readinessEntry)
  }

  const reasons: string[] = []
  if (lifecycle !== 'serving') reasons.push(lifecycle)
  if (failing.length !== 0) reasons.push(`critical checks failing: ${failing.join(', ')}`)
  if (pending.length !== 0)
    reasons.push(`critical checks without a result yet: ${pending.join(', ')}`)
  const failed = reasons.length !== 0
  if (warning.length !== 0) reasons.push(`critical checks warning: ${warning.join(', ')}`)

  const status: HealthStatus = failed ? 'fail' : warning.length !== 0 ? 'warn' : 'pass'
  const body: { -readonly [K in keyof HealthBody]: HealthBody[K] } = { status }
  if (reasons.length !== 0) body.output = reasons.join('; ')
  if (critical.length !== 0) body.checks = checks

  return freezeBody(body)
}

/** What a report is built from. */
export interface ReportInputs {
  readonly identity: Identity
  readonly runners: readonly CheckRunner[]
  readonly sources: SourceLists
  readonly liveness: HealthBody
  readonly readiness: HealthBody
  readonly clock: Clock
}

/**
 * Builds the full report. Its status is `fail` exactly when liveness or
 * readiness fails; a failing non-critical check, an open breaker or a p95
 * over budget make it `warn`.
 */
export function buildReport(inputs: ReportInputs): HealthReport {
  const time = isoTime(inputs.clock.now()) ?? new Date(0).toISOString()
  const checks: Record<string, HealthCheckEntry[]> = {}
  const notPassing: string[] = []
  let status = worse(inputs.liveness.status, inputs.readiness.status)
  const add: AddEntry = (key, entry) => {
    append(checks, key, entry)
    if (entry.status === 'pass') return
    if (!notPassing.includes(key)) notPassing.push(key)
    status = worse(status, 'warn')
  }

  for (const runner of inputs.runners) add(runner.check.key, runner.entry)
  addSourceEntries(inputs.sources, time, add)
  add('uptime', uptimeEntry(time))

  const output = reportOutput(inputs, notPassing)
  return {
    status,
    ...inputs.identity,
    ...(output === undefined ? {} : { output }),
    checks: checks as HealthChecks,
  }
}

function addSourceEntries(sources: SourceLists, time: string, add: AddEntry): void {
  for (const source of sources.breakers) addBreakerEntries(source, time, add)
  for (const [name, source] of sources.caches) addStatsEntries(name, source, time, add)
  for (const source of sources.timing) addTimingEntries(source, time, add)
}

function uptimeEntry(time: string): HealthCheckEntry {
  const observedValue = Math.round(process.uptime() * 1000) / 1000
  return { componentType: 'system', observedValue, observedUnit: 's', status: 'pass', time }
}

function reportOutput(inputs: ReportInputs, notPassing: readonly string[]): string | undefined {
  const reasons: string[] = []
  if (inputs.liveness.output !== undefined) reasons.push(inputs.liveness.output)
  const readiness = inputs.readiness.output
  if (inputs.readiness.status === 'fail' && readiness !== undefined) {
    if (!reasons.includes(readiness)) reasons.push(readiness)
  }
  if (notPassing.length !== 0) reasons.push(`not passing: ${notPassing.join(', ')}`)

  return reasons.length === 0 ? undefined : reasons.join('; ')
}

/** Adds `entry` under `key`, after any entry already there. */
function append(checks: Record<string, HealthCheckEntry[]>, key: string, entry: HealthCheckEntry) {
  const entries = checks[key]
  if (entries === undefined) checks[key] = [entry]
  else entries.push(entry)
}

import { activate, deployFunction, fromPgPool, rollback } from '@ballast/pg'
import pg from 'pg'
import type { Landlord } from '../support/database'
import { countBy, latencyOf, round } from '../support/figures'
import { sleep } from '../support/http'
import { type Operation, startLoad, succeeded } from '../support/load'
import { check, type Scenario } from '../support/scenario'
import { setUpStage } from '../support/stage'

/** How soon after an activation or a rollback every new request must see it. */
const SWITCH_LIMIT_MS = 1_000

/**
 * Version 3 of the dashboard: version 2's figures plus a marker, so an answer tells which
 * version computed it. Compatible with v2 (same arguments, same return type).
 */
const DASHBOARD_V3 = `
create function portfolio_dashboard(p_landlord integer) returns jsonb
language sql stable
as $$
  select public.portfolio_dashboard__v2(p_landlord) || jsonb_build_object('computedBy', 'v3')
$$`

/** An answer of the dashboard: when it was asked, and whether version 3 computed it. */
interface Seen {
  readonly startedAt: number
  readonly v3: boolean
}

/**
 * Scenario 4. Under a load of dashboard reads (cached), other reads and writes, a new
 * version of `portfolio_dashboard` is deployed beside the active one, activated, and rolled
 * back, straight on the database as an operator would. Judged: no request fails, and every
 * dashboard asked for more than a second after the activation (the rollback) comes from the
 * new (the old) version: the server follows the NOTIFY and drops what the replaced version
 * had cached.
 */
export const functionRolloutScenario: Scenario = {
  name: 'function-rollout',
  title: 'Function version deployed, activated, rolled back',
  timeLimitSeconds: () => 120,
  async run(context) {
    const { quick } = context.settings
    const phaseMs = (quick ? 3 : 6) * 1_000
    const stage = await setUpStage(context, { landlords: 6, propertiesEach: 3 })
    const pool = new pg.Pool({ connectionString: stage.database.url, max: 2 })
    context.defer(() => pool.end())
    const db = fromPgPool(pool)
    const seen: Seen[] = []
    let turn = 0

    const next = (worker: number): Operation => {
      const landlord = stage.landlords[worker] as Landlord
      const n = ++turn
      const token = landlord.token
      if (n % 5 === 4) {
        return {
          kind: 'write',
          method: 'POST',
          path: `/properties/${landlord.propertyIds[0]}/units`,
          token,
          body: { label: `rollout-${n}`, rentCents: 80_000, status: 'occupied' },
        }
      }
      if (n % 5 === 3) return { kind: 'read', method: 'GET', path: '/properties', token }
      return { kind: 'dashboard', method: 'GET', path: '/dashboard', token }
    }
    const load = startLoad({
      client: stage.client,
      workers: stage.landlords.length,
      pauseMs: 10,
      next,
      signal: context.signal,
      onAnswer(operation, answer) {
        if (operation.kind !== 'dashboard' || answer.status !== 200) return
        seen.push({ startedAt: answer.startedAt, v3: answer.text.includes('"computedBy":"v3"') })
      },
    })

    await sleep(phaseMs, context.signal)
    const deployedAt = performance.now()
    const deployed = await deployFunction(db, {
      name: 'portfolio_dashboard',
      version: 3,
      sql: DASHBOARD_V3,
    })
    context.log(`deployed ${deployed.physicalName} beside v2 (${deployed.outcome})`)

    await sleep(phaseMs, context.signal)
    // Answers asked for between the call and its return may come from either version: the
    // switch commits somewhere in between. Each phase is judged outside that window.
    const activating = performance.now()
    const activated = await activate(db, 'portfolio_dashboard', 3)
    const activatedAt = performance.now()
    context.log(`activated: v${activated.fromVersion} -> v${activated.version}`)

    await sleep(phaseMs, context.signal)
    const rollingBack = performance.now()
    const rolledBack = await rollback(db, 'portfolio_dashboard')
    const rolledBackAt = performance.now()
    context.log(`rolled back: v${rolledBack.fromVersion} -> v${rolledBack.version}`)

    await sleep(phaseMs, context.signal)
    await load.stop()
    const endAt = performance.now()

    const samples = load.samples
    const failed = samples.filter((s) => !succeeded(s))
    const beforeActivation = seen.filter((s) => s.startedAt < activating)
    const whileActive = seen.filter((s) => s.startedAt >= activatedAt && s.startedAt < rollingBack)
    const afterRollback = seen.filter((s) => s.startedAt >= rolledBackAt && s.startedAt < endAt)
    const switched = (list: readonly Seen[], from: number, v3: boolean) => {
      const old = list.filter((s) => s.v3 !== v3)
      const lastOld = Math.max(from, ...old.map((s) => s.startedAt))
      const firstNew = list.find((s) => s.v3 === v3)?.startedAt
      return {
        lastOldAfterMs: round(lastOld - from),
        firstNewAfterMs: firstNew === undefined ? null : round(firstNew - from),
        oldAnswers: old.length,
        answers: list.length,
        late: old.filter((s) => s.startedAt - from > SWITCH_LIMIT_MS).length,
      }
    }
    const toV3 = switched(whileActive, activatedAt, true)
    const toV2 = switched(afterRollback, rolledBackAt, false)
    const v3Early = beforeActivation.filter((s) => s.v3).length

    return {
      checks: [
        check(
          'failed requests',
          '0',
          `${failed.length} of ${samples.length}`,
          failed.length === 0 && samples.length > 0,
        ),
        check(
          'answers switch after activation',
          `< ${SWITCH_LIMIT_MS / 1_000} s`,
          `last old answer ${toV3.lastOldAfterMs} ms after`,
          toV3.late === 0 && toV3.firstNewAfterMs !== null,
        ),
        check(
          'answers switch after rollback',
          `< ${SWITCH_LIMIT_MS / 1_000} s`,
          `last old answer ${toV2.lastOldAfterMs} ms after`,
          toV2.late === 0 && toV2.firstNewAfterMs !== null,
        ),
        check(
          'the new version answers only while active',
          '0 early',
          `${v3Early} of ${beforeActivation.length} before activation`,
          v3Early === 0,
        ),
      ],
      figures: {
        phaseSeconds: phaseMs / 1_000,
        requests: samples.length,
        statuses: countBy(samples, (s) => String(s.status)),
        latencyMs: latencyOf(samples.map((s) => s.durationMs)),
        deployedSecondsIntoRun: round(
          (deployedAt - (samples[0]?.startedAt ?? deployedAt)) / 1_000,
          1,
        ),
        activation: toV3,
        rollback: toV2,
        dashboardCache: countBy(
          samples.filter((s) => s.kind === 'dashboard'),
          (s) => s.cache ?? 'none',
        ),
      },
    }
  },
}

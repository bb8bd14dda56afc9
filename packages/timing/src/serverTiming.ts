import { describeValue } from './describeValue'

/** One metric of a `Server-Timing` header. */
export interface ServerTimingEntry {
  /** The metric name: an HTTP token (letters, digits and ``!#$%&'*+-.^_`|~``). */
  readonly name: string
  /** How long it took, in milliseconds: finite and >= 0. Written to 0.01 ms. */
  readonly durationMs?: number | undefined
  /** Free text for humans, such as the operation name. */
  readonly description?: string | undefined
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// C0 controls, DEL and C1 controls: not allowed in a quoted-string.
const CONTROL = /\p{Cc}/gu
// Once controls are gone, anything outside this range is beyond Latin-1,
// which Node refuses in a header value.
const NOT_LATIN1 = /[^\u0020-\u00ff]/gu
const QUOTED_SPECIAL = /["\\]/g

/**
 * Formats a `Server-Timing` header value (W3C Server Timing):
 * `name;dur=12.3;desc="..."` per entry, joined by `, `.
 *
 * Names are checked, not repaired: a name that is not a token throws a
 * `TypeError`, so two names can never be folded into one by accident. Put
 * free text, such as `GET /properties`, in `description`: it is written as a
 * quoted-string with `"` and `\` escaped, control characters removed and
 * characters beyond Latin-1 replaced by `?`. Durations are rounded to 0.01 ms;
 * a negative or non-finite one throws a `RangeError`.
 *
 * @example
 * ```ts
 * response.setHeader('Server-Timing', serverTiming([
 *   { name: 'db', durationMs: 12.345, description: 'GET /properties' },
 *   { name: 'cache', description: 'miss' },
 * ]))
 * // db;dur=12.35;desc="GET /properties", cache;desc="miss"
 * ```
 */
export function serverTiming(entries: Iterable<ServerTimingEntry>): string {
  const metrics: string[] = []
  let position = 0
  for (const entry of entries) {
    metrics.push(formatMetric(entry, position))
    position++
  }
  return metrics.join(', ')
}

function formatMetric(entry: ServerTimingEntry, position: number): string {
  const { name, durationMs, description } = entry
  const at = `serverTiming: entries[${position}]`
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new TypeError(
      `${at}.name must be a token (letters, digits and !#$%&'*+-.^_\`|~), ` +
        `received ${describeValue(name)}`,
    )
  }
  if (durationMs !== undefined && !(durationMs >= 0 && durationMs < Number.POSITIVE_INFINITY)) {
    throw new RangeError(
      `${at}.durationMs must be a finite number >= 0, received ${describeValue(durationMs)}`,
    )
  }
  if (description !== undefined && typeof description !== 'string') {
    throw new TypeError(
      `${at}.description must be a string, received ${describeValue(description)}`,
    )
  }

  let metric = name
  if (durationMs !== undefined) metric += `;dur=${Math.round(durationMs * 100) / 100}`
  if (description !== undefined) metric += `;desc=${quote(description)}`
  return metric
}

function quote(text: string): string {
  const clean = text.replace(CONTROL, '').replace(NOT_LATIN1, '?')
  return `"${clean.replace(QUOTED_SPECIAL, '\\$&')}"`
}

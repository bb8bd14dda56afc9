import type { NotifyBusMessage } from './notify-bus-message'

/** NOTIFY payloads must stay under 8000 bytes; messages are split below this. */
const MAX_PAYLOAD_BYTES = 7_000

/** A part of an invalidation: `i` its id at the sender `f`, `m` the message part. */
export interface MessageNote {
  readonly t: 'm'
  readonly i: string
  readonly f: string
  readonly m: unknown
}

/**
 * A notification on the bus's channel, as JSON: a message part (`m`), a confirmation (`a`)
 * of part `i` sent by `f`, made by member `b`, or a member's ping (`p`) to itself.
 */
export type Note =
  | MessageNote
  | { readonly t: 'a'; readonly i: string; readonly f: string; readonly b: string }
  | { readonly t: 'p'; readonly f: string; readonly n: number }

/** Reads a notification; `undefined` when it is not JSON. */
export function parseNote(payload: string): Note | undefined {
  try {
    return JSON.parse(payload) as Note
  } catch {
    return undefined
  }
}

/** Whether a message part has the shape of an invalidation. */
export function isMessage(value: unknown): value is NotifyBusMessage {
  const m = value as Partial<NotifyBusMessage> | null
  return (
    typeof m?.namespace === 'string' &&
    typeof m.origin === 'string' &&
    Array.isArray(m.tags) &&
    Array.isArray(m.keys) &&
    (m.mode === 'hard' || m.mode === 'soft')
  )
}

/**
 * Splits a message into parts whose notifications stay under the payload limit. A single
 * name too long for any notification turns the message into an invalidation of everything,
 * which always fits and is always correct.
 */
export function split(message: NotifyBusMessage): NotifyBusMessage[] {
  if (Buffer.byteLength(JSON.stringify(message)) <= MAX_PAYLOAD_BYTES) return [message]

  const names = [...message.tags, ...message.keys]
  if (names.some((name) => Buffer.byteLength(JSON.stringify(name)) > MAX_PAYLOAD_BYTES / 2)) {
    return [{ ...message, tags: [], keys: [], all: true }]
  }

  const parts: NotifyBusMessage[] = []
  let part: { tags: string[]; keys: string[] } = { tags: [], keys: [] }
  let bytes = 0
  const add = (field: 'tags' | 'keys', name: string) => {
    const size = Buffer.byteLength(JSON.stringify(name)) + 1
    if (bytes + size > MAX_PAYLOAD_BYTES / 2 && bytes > 0) {
      parts.push({ ...message, ...part })
      part = { tags: [], keys: [] }
      bytes = 0
    }
    part[field].push(name)
    bytes += size
  }

  for (const tag of message.tags) add('tags', tag)
  for (const key of message.keys) add('keys', key)
  parts.push({ ...message, ...part })

  return parts
}

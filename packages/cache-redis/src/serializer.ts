/** Turns cached values into the strings Redis keeps, and back. */
export interface Serializer {
  /** The text for `value`; throw when it cannot be represented. */
  serialize(value: unknown): string
  /** The value `text` stands for. */
  deserialize(text: string): unknown
}

/**
 * The default {@link Serializer}: `JSON.stringify` and `JSON.parse`. Values come back as
 * plain data: a `Date` as its ISO string, a `Map` or a class instance as a plain object,
 * `undefined` inside arrays as `null`. A value JSON cannot hold (a `BigInt`, a cycle, a
 * bare `undefined`) is not written to Redis; its callers still get it from memory.
 */
export const jsonSerializer: Serializer = {
  serialize(value) {
    const text = JSON.stringify(value)
    if (text === undefined) throw new TypeError(`JSON cannot represent a ${typeof value}`)

    return text
  },

  deserialize(text) {
    return JSON.parse(text)
  },
}
